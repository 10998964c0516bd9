package io.github.usbd4j.samples.tool;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code usbd} exit codes: one table, shown by {@code usbd --help} and every command's {@code --help},
 * and repeated (checked by a test) in the README and on the site's tool page.
 */
public enum ExitCode {
    /** Everything was delivered. */
    OK(0, "done: every packet delivered (or no more lost than --max-errors allows)"),
    /** A bug, or the launcher could not build the tool. */
    FAILURE(
            1,
            "unexpected failure (a bug: --debug shows the stack trace), or ./usbd could not build or start the tool"),
    /** Bad arguments or input, found before anything was touched. */
    USAGE(
            2,
            "usage error: a bad option, argument or input file, or a device that cannot do what was asked;"
                    + " nothing was streamed and no file was touched"),
    /** No matching device. */
    NO_DEVICE(3, "no device: none matched within --wait, or USB is not available on this machine"),
    /** The device or a file failed. */
    IO_ERROR(
            4,
            "I/O error: the device could not be opened, refused a request or left mid-stream, a transfer"
                    + " was refused, or a file or standard output could not be written in full"),
    /** More packets lost than allowed. */
    PACKETS_LOST(
            5,
            "packets lost: more packets failed, were missed or never ran (loopback-test: also came"
                    + " back different or never came back) than --max-errors allows; the summary counts them"),
    /** {@code devfile}: a CE call failed. */
    CALL_FAILED(6, "devfile: a CE call on the device name failed (its Win32 error is printed beside it)"),
    /** SIGINT. */
    INTERRUPTED(
            130,
            "interrupted by SIGINT (Ctrl-C): the stream stopped cleanly, files hold everything"
                    + " received, the summary was printed"),
    /** SIGTERM. */
    TERMINATED(143, "terminated by SIGTERM: as for SIGINT");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The process exit code. */
    public int code() {
        return code;
    }

    /** What it means. */
    public String meaning() {
        return meaning;
    }

    /** The table for picocli's exit code list: code to meaning. */
    static Map<String, String> helpList() {
        Map<String, String> m = new LinkedHashMap<>();
        for (ExitCode c : values()) {
            m.put(String.format("%3d", c.code), c.meaning);
        }
        return m;
    }

    /** The table in Markdown, as the README and the site page show it. */
    public static String markdownTable() {
        StringBuilder s = new StringBuilder("| exit code | meaning |\n|---|---|\n");
        for (ExitCode c : values()) {
            s.append("| ").append(c.code).append(" | ").append(c.meaning).append(" |\n");
        }
        return s.toString();
    }
}
