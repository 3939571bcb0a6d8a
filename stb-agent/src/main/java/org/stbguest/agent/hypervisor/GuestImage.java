package org.stbguest.agent.hypervisor;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A guest image as the QEMU backend boots it: one file, an uncompressed zip holding {@code guest.properties} (the
 * guest's name and version and its kernel command line), {@code kernel} and {@code initrd}. The agent has verified
 * the whole file against its signed manifest before any boot, so what it holds is what the operator released; this
 * class still refuses a file that is not of that shape rather than hand QEMU something it cannot boot.
 *
 * @param name    the guest's name (its role) as the image says
 * @param version the image's version as the image says
 * @param cmdline the kernel command line
 */
public record GuestImage(String name, long version, String cmdline) {

    /** The largest kernel or initrd taken out of an image. */
    static final long MAX_PART = 512L << 20;
    private static final int MAX_PROPERTIES = 16 << 10;

    /**
     * Reads an image's description and writes its kernel and initrd into {@code dir} as {@code kernel} and
     * {@code initrd}.
     */
    static GuestImage unpack(Path image, Path dir) throws IOException {
        try (ZipFile zip = new ZipFile(image.toFile())) {
            ZipEntry props = zip.getEntry("guest.properties");
            ZipEntry kernel = zip.getEntry("kernel");
            ZipEntry initrd = zip.getEntry("initrd");
            if (props == null || kernel == null || initrd == null) {
                throw new IOException("a guest image holds guest.properties, kernel and initrd");
            }
            Properties p = new Properties();
            try (InputStream in = zip.getInputStream(props)) {
                byte[] text = in.readNBytes(MAX_PROPERTIES + 1);
                if (text.length > MAX_PROPERTIES) {
                    throw new IOException("guest.properties is larger than " + MAX_PROPERTIES + " bytes");
                }
                p.load(new StringReader(new String(text, java.nio.charset.StandardCharsets.UTF_8)));
            }
            String name = p.getProperty("name");
            String version = p.getProperty("version");
            String cmdline = p.getProperty("cmdline", "console=ttyS0 quiet panic=-1");
            if (name == null || version == null || !version.matches("\\d{1,18}") || cmdline.length() > 2048) {
                throw new IOException("guest.properties needs a name, a numeric version and a short cmdline");
            }
            copy(zip, kernel, dir.resolve("kernel"));
            copy(zip, initrd, dir.resolve("initrd"));
            return new GuestImage(name, Long.parseLong(version), cmdline);
        } catch (java.util.zip.ZipException e) {
            throw new IOException("not a guest image (zip): " + e.getMessage(), e);
        }
    }

    private static void copy(ZipFile zip, ZipEntry entry, Path to) throws IOException {
        if (entry.getSize() > MAX_PART) {
            throw new IOException(entry.getName() + " is larger than " + MAX_PART + " bytes");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
