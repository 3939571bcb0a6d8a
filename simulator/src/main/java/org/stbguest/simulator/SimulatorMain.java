package org.stbguest.simulator;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;

/** Command line of the simulator: {@code demo} runs the whole loop on one machine. */
public final class SimulatorMain {

    static final String USAGE = """
            Usage: java -jar simulator/target/simulator.jar demo [options]
                   java -jar simulator/target/simulator.jar ingest [--seconds S] [--threads T]
                   java -jar simulator/target/simulator.jar checkin [--seconds S] [--devices N,N] [--connections C,C]
                   java -jar simulator/target/simulator.jar login-flood [--seconds S] [--devices N] [--flooders F]
                   java -jar simulator/target/simulator.jar agent-install --guest IMG --agent-jar JAR [--image-mib M]
                                                                         [--xmx-mib X] [--rate BITS_PER_S]

            demo runs the operator server (embedded PostgreSQL), the multicast distributor (loopback, TTL 1) and a
            simulated fleet in one process: publish a signed image, stage it on every box over multicast,
            activate it in waves of 10%, 50% and 100%, send a storm of call-center tickets from the first wave's
            boxes, and watch the guard halt the rollout and the boxes go back on the signed rollback.

            ingest measures device events and tickets into the real server (bench/ingest): phases of S seconds
            (default 15) with T client threads (default 4).

            checkin measures check-ins answered by the real server (bench/checkin): for each fleet size (default
            10000,100000) and each connection count (default 4,16,64), S seconds (default 15) after a warm-up (4 S before
            the first fleet, S before the next).

            login-flood (bench/login-flood) measures check-ins at 16 connections for N devices (default 100000)
            quiet and while F threads (default 8) send HTTP Basic logins with invented names, S seconds each
            (default 15) after a warm-up of 4 S, then what a script with the right password gets per second.

            agent-install (bench/agent-install) has the real agent process (-Xmx X MiB, default 64) install the
            guest image IMG padded to M MiB (default 512) from the real server and distributor over multicast on
            loopback (at BITS_PER_S, default 400000000), boot it under QEMU and commit it.

            Options:
              --agents N       fleet size (default 20)
              --image-mib M    image size in MiB (default 4)
              --storage KIND   digest (default: boxes keep digests, not bytes) or files (real slot files)
              --data-dir DIR   where the server's database, chunks and logs go (default: a new temp directory)
              --keep-data      keep the data directory afterwards
              --timeout SEC    give up on a phase after this many seconds (default 180)
              -h, --help       show this help

            Ends with: demo: agents=N staged=N activated=N rolled_back=N result=ok|fail waves=W detected_after_s=X
            (exit 0 or 1).
            """;

    private SimulatorMain() {
    }

    private static int ingest(String[] args) {
        int seconds = 15;
        int threads = 4;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--seconds" -> seconds = Integer.parseInt(value(args, ++i, "--seconds"));
                    case "--threads" -> threads = Integer.parseInt(value(args, ++i, "--threads"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (seconds < 1 || seconds > 600 || threads < 1 || threads > 64) {
                throw new IllegalArgumentException("--seconds must be 1..600 and --threads 1..64");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        try {
            return IngestBench.run(Duration.ofSeconds(seconds), threads);
        } catch (Exception e) {
            System.err.println("ingest failed: " + e);
            return 1;
        }
    }

    private static int checkIn(String[] args) {
        int seconds = 15;
        List<Integer> fleets = List.of(10_000, 100_000);
        List<Integer> connections = List.of(4, 16, 64);
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--seconds" -> seconds = Integer.parseInt(value(args, ++i, "--seconds"));
                    case "--devices" -> fleets = ints(value(args, ++i, "--devices"));
                    case "--connections" -> connections = ints(value(args, ++i, "--connections"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (seconds < 1 || seconds > 600 || fleets.stream().anyMatch(n -> n < 1 || n > 2_000_000)
                    || connections.stream().anyMatch(c -> c < 1 || c > 256)) {
                throw new IllegalArgumentException("--seconds must be 1..600, --devices 1..2000000 each, "
                        + "--connections 1..256 each");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        try {
            return CheckInBench.run(Duration.ofSeconds(seconds), fleets, connections);
        } catch (Exception e) {
            System.err.println("checkin failed: " + e);
            return 1;
        }
    }

    private static int loginFlood(String[] args) {
        int seconds = 15;
        int devices = 100_000;
        int flooders = 8;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--seconds" -> seconds = Integer.parseInt(value(args, ++i, "--seconds"));
                    case "--devices" -> devices = Integer.parseInt(value(args, ++i, "--devices"));
                    case "--flooders" -> flooders = Integer.parseInt(value(args, ++i, "--flooders"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (seconds < 1 || seconds > 600 || devices < 1 || devices > 2_000_000 || flooders < 1 || flooders > 64) {
                throw new IllegalArgumentException("--seconds must be 1..600, --devices 1..2000000, --flooders 1..64");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        try {
            return LoginFloodBench.run(Duration.ofSeconds(seconds), devices, flooders);
        } catch (Exception e) {
            System.err.println("login-flood failed: " + e);
            return 1;
        }
    }

    private static List<Integer> ints(String csv) {
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    private static int agentInstall(String[] args) {
        Path guest = null;
        Path agentJar = null;
        int mib = 512;
        int xmx = 64;
        long rate = 400_000_000L;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--guest" -> guest = Path.of(value(args, ++i, "--guest"));
                    case "--agent-jar" -> agentJar = Path.of(value(args, ++i, "--agent-jar"));
                    case "--image-mib" -> mib = Integer.parseInt(value(args, ++i, "--image-mib"));
                    case "--xmx-mib" -> xmx = Integer.parseInt(value(args, ++i, "--xmx-mib"));
                    case "--rate" -> rate = Long.parseLong(value(args, ++i, "--rate"));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (guest == null || agentJar == null || mib < 16 || mib > 4096 || xmx < 16 || rate < 1_000_000) {
                throw new IllegalArgumentException("--guest and --agent-jar are required; --image-mib 16..4096, "
                        + "--xmx-mib >= 16, --rate >= 1000000");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        try {
            return AgentInstallBench.run(guest, agentJar, mib, xmx, rate);
        } catch (Exception e) {
            System.err.println("agent-install failed: " + e);
            return 1;
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || isHelp(args[0])) {
            System.out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        if ("ingest".equals(args[0])) {
            return ingest(args);
        }
        if ("checkin".equals(args[0])) {
            return checkIn(args);
        }
        if ("agent-install".equals(args[0])) {
            return agentInstall(args);
        }
        if ("login-flood".equals(args[0])) {
            return loginFlood(args);
        }
        if (!"demo".equals(args[0])) {
            System.err.println("unknown command: " + args[0] + "\n\n" + USAGE);
            return 2;
        }
        int agents = 20;
        int imageMib = 4;
        boolean files = false;
        boolean keep = false;
        Path dataDir = null;
        int timeout = 180;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--agents" -> agents = Integer.parseInt(value(args, ++i, "--agents"));
                    case "--image-mib" -> imageMib = Integer.parseInt(value(args, ++i, "--image-mib"));
                    case "--storage" -> {
                        String kind = value(args, ++i, "--storage");
                        if (!kind.equals("digest") && !kind.equals("files")) {
                            throw new IllegalArgumentException("--storage must be digest or files, got " + kind);
                        }
                        files = kind.equals("files");
                    }
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
                    case "--keep-data" -> keep = true;
                    case "--timeout" -> timeout = Integer.parseInt(value(args, ++i, "--timeout"));
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n\n" + USAGE);
            return 2;
        }
        boolean tempDir = dataDir == null;
        try {
            if (tempDir) {
                dataDir = Files.createTempDirectory("stb-demo-");
            }
            var options = new DemoScenario.Options(agents, imageMib, files, dataDir, System.out,
                    System.console() != null, Duration.ofSeconds(timeout));
            DemoScenario.Result result = new DemoScenario(options).run();
            if (tempDir && !keep && result.ok()) {
                deleteTree(dataDir);
            } else {
                System.out.println("data kept in " + dataDir);
            }
            System.out.println(result.summary());
            return result.ok() ? 0 : 1;
        } catch (Exception e) {
            System.err.println("demo failed: " + e);
            System.out.println("demo: agents=" + agents + " staged=0 activated=0 rolled_back=0 result=fail");
            return 1;
        }
    }

    private static boolean isHelp(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("help");
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
