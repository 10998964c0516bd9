package io.github.usbd4j.samples.tool;

/** A failure the tool reports as one line and an {@link ExitCode}, never as a stack trace (unless --debug). */
final class ToolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ExitCode exitCode;

    ToolException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    ToolException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    ExitCode exitCode() {
        return exitCode;
    }
}
