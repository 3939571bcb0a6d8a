package org.stbguest.stbctl;

import org.stbguest.image.ImageVerificationException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The operator command line. Credentials come from the environment ({@code STBCTL_TOKEN}, {@code STBCTL_PASSWORD},
 * {@code STBCTL_KEY_PASSPHRASE}) or files, never from arguments, so they stay out of shell history and process lists.
 */
@Command(name = "stbctl", mixinStandardHelpOptions = true, version = "stbctl 0.1.0",
        description = "Operate the STB guest-image platform: keys, images, signatures, API tokens.",
        subcommands = {KeysCommand.class, ImageCommand.class, TokenCommand.class, CommandLine.HelpCommand.class})
public final class Stbctl implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A command line with stbctl's error handling: one clear line per failure, exit code 1. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Stbctl());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            String reason = e instanceof ImageVerificationException v ? v.reason() + ": " + v.getMessage() : e.getMessage();
            line.getErr().println("stbctl: error: " + (reason == null ? e.toString() : reason));
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
