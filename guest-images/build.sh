#!/usr/bin/env bash
# Builds the guest images the QEMU tests and bench/agent-install boot: Debian's cloud kernel and a tiny busybox
# initramfs whose /init reports on the health channel (/dev/ttyS1) what the kernel command line tells it to be.
#
#   guest-images/build.sh [OUT_DIR]      (default: guest-images/out)
#
# Needs: busybox-static and cpio installed (apt-get install busybox-static cpio), apt-get download of linux-image-cloud-amd64's
# kernel, cpio, gzip, and the JDK's jar tool. One image file per variant: an uncompressed zip holding guest.properties
# (name, version, cmdline), kernel and initrd. Variants (stb.mode on the command line):
#   healthy  GUEST <name> <version> READY, then ALIVE every 2 s
#   fail     GUEST <name> <version> FAIL, then reboot (QEMU exits, -no-reboot)
#   panic    /init exits: kernel panic, QEMU exits
#   hang     never says anything
#   crash    READY, ALIVE twice, then /init exits (a committed guest that crashes later)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -f "$out/.built" ] && [ "$(cat "$out/.built")" = "$(sha256sum "$0" | cut -c1-64)" ]; then
  echo "guest images up to date in $out"
  exit 0
fi

busybox=/bin/busybox
if [ ! -x "$busybox" ] || [[ "$(ldd "$busybox" 2>&1 || true)" != *"not a dynamic"* ]]; then
  echo "a static busybox is missing: apt-get install busybox-static" >&2
  exit 1
fi
command -v cpio >/dev/null || { echo "cpio is missing: apt-get install cpio" >&2; exit 1; }

# the kernel: take vmlinuz out of the cloud kernel package without installing it
kpkg="$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')"
[ -n "$kpkg" ] || { echo "cannot find the cloud kernel package (apt-get update first)" >&2; exit 1; }
(cd "$work" && apt-get download -qq "$kpkg")
dpkg-deb --fsys-tarfile "$work"/"$kpkg"_*.deb | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
cp "$work"/boot/vmlinuz-* "$work/kernel"

# the initramfs
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys}
cp "$busybox" "$root/bin/busybox"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
NAME=unknown; VERSION=0; MODE=healthy
for w in $(cat /proc/cmdline); do
  case "$w" in
    stb.name=*) NAME="${w#stb.name=}" ;;
    stb.version=*) VERSION="${w#stb.version=}" ;;
    stb.mode=*) MODE="${w#stb.mode=}" ;;
  esac
done
H=/dev/ttyS1
stty -F "$H" raw -echo 2>/dev/null
case "$MODE" in
  fail) echo "GUEST $NAME $VERSION FAIL" > "$H"; sleep 1; reboot -f ;;
  panic) exit 1 ;;
  hang) while true; do sleep 3600; done ;;
esac
echo "GUEST $NAME $VERSION READY" > "$H"
n=0
while true; do
  sleep 2
  echo "GUEST $NAME $VERSION ALIVE" > "$H"
  n=$((n + 1))
  if [ "$MODE" = crash ] && [ "$n" -ge 2 ]; then exit 1; fi
done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd"

image() { # name version mode
  local dir="$work/img-$1-$2-$3"
  mkdir -p "$dir"
  cp "$work/kernel" "$dir/kernel"
  cp "$work/initrd" "$dir/initrd"
  printf 'name=%s\nversion=%s\ncmdline=console=ttyS0 quiet panic=-1 stb.name=%s stb.version=%s stb.mode=%s\n' \
    "$1" "$2" "$1" "$2" "$3" > "$dir/guest.properties"
  rm -f "$out/$1-$2-$3.img"
  # uncompressed, no manifest: a plain zip the agent reads with java.util.zip
  (cd "$dir" && jar --create --no-manifest --no-compress --file "$out/$1-$2-$3.img" guest.properties kernel initrd)
}
image entertainment 1 healthy
image entertainment 2 healthy
image entertainment 2 fail
image entertainment 2 panic
image entertainment 2 hang
image entertainment 2 crash
image security 1 healthy
image security 2 healthy
sha256sum "$0" | cut -c1-64 > "$out/.built"
ls -la "$out"
