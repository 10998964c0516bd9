package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.UvcCamera;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The usbd tool, run in-process with captured output. */
class UsbdToolTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * Standard output that cannot be written (a full disk, {@code > /dev/full}, a pipe whose reader left):
     * what the command printed is cut short, so a run that would have exited 0 is an I/O error, in a line
     * on stderr. It exited 0 with nothing written.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"list", "list --json", "--help", "demo --seconds 1"})
    void outputThatCannotBeWrittenIsAnIoError(String command) {
        java.io.OutputStream full = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("No space left on device");
            }
        };
        StringWriter err = new StringWriter();
        CommandLine cl = UsbdTool.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int exit = UsbdTool.execute(cl, new CheckedOutput(full), command.split(" "));
        String name = command.startsWith("-") ? "usbd" : "usbd " + command.split(" ")[0];
        assertThat(exit).as(err.toString()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(err.toString())
                .isEqualTo(name + ": cannot write to standard output (No space left on device): what it printed"
                        + " was cut short" + System.lineSeparator());
    }

    @Test
    void outputWrittenInFullLeavesTheExitCode() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        CommandLine cl = UsbdTool.commandLine();
        assertThat(UsbdTool.execute(cl, new CheckedOutput(bytes), "list")).isZero();
        assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("1209:0004 usbd4j UVC Camera");
        assertThat(UsbdTool.execute(UsbdTool.commandLine(), new CheckedOutput(bytes), "list", "--bogus"))
                .isEqualTo(ExitCode.USAGE.code());
    }

    @Test
    void demoStreamsTenSecondsAndPrintsThePerFrameSummary() {
        Run r = run("demo");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("loopback device 1209:0001")
                .contains("OUT 0x01: 10000 frames")
                .contains("IN  0x81: 10000 frames")
                .contains("9987 packets")
                .contains("12 came back with an error status, 0 came back different, 0 never came back")
                .contains("frame 5000 ep 0x81 USB_NOT_ACCESSED_ERROR")
                .contains("per-frame summary:")
                .containsPattern("total   : frames 20000, bytes \\d+, errors \\d+ \\(USB_CRC_ERROR \\d+,"
                        + " USB_NOT_ACCESSED_ERROR 2\\), late/missed 2")
                .contains(
                        "result: 14 of 20000 packets lost (USB_CRC_ERROR 12, USB_NOT_ACCESSED_ERROR 2), 14 injected by"
                                + " the demo, within --max-errors 0: exit 0");
    }

    @Test
    void demoIsDeterministic() {
        assertThat(run("demo", "--seconds", "2").out().replaceAll("in [0-9.]+ s of wall time", ""))
                .isEqualTo(run("demo", "--seconds", "2").out().replaceAll("in [0-9.]+ s of wall time", ""));
    }

    @Test
    void badArgumentsGiveOneLineOnStderrAndExitCode2() {
        Run r = run("demo", "--bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err())
                .contains("Unknown option: '--bogus'")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");

        Run backend = run("list", "--backend", "usb");
        assertThat(backend.exit()).isEqualTo(2);
        assertThat(backend.err().strip().lines()).hasSize(1);
        assertThat(backend.err()).contains("--backend");

        assertOneLineError(
                run("recrod", "x.wav"),
                2,
                "usbd: unknown command 'recrod'; the commands are demo, list, loopback-test, play, record,");

        Run noCommand = run();
        assertThat(noCommand.exit()).isEqualTo(2);
        assertThat(noCommand.err()).contains("missing command");

        Run badSpeed = run("loopback-test", "--speed", "warp");
        assertThat(badSpeed.exit()).isEqualTo(2);
        assertThat(badSpeed.err().strip().lines()).hasSize(1);
    }

    @Test
    void missingFileIsOneLineAndExitCode2(@TempDir Path dir) {
        Run r = run("play", dir.resolve("nope.wav").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("no such file").doesNotContain("\tat ");
    }

    @Test
    void listShowsDevicesInterfacesAndIsoEndpoints() {
        Run r = run("list");
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("1209:0001 usbd4j Loopback FS (full speed")
                .contains("a high-speed variant")
                .contains("1209:0002 usbd4j UAC1 Speaker (full speed)")
                .contains("endpoint 0x01 OUT isochronous, adaptive, data: wMaxPacketSize 0x00C0 = 192 bytes, every 1 ms"
                        + " (bInterval 1): 192 bytes per service interval")
                .contains("endpoint 0x81 IN isochronous, asynchronous, data: wMaxPacketSize 0x1400 = 1024 bytes x 3"
                        + " transactions, every 125 us (bInterval 1): 3072 bytes per service interval")
                .contains("UAC1 format: PCM, 2 ch, 16 bit, 44100, 48000 Hz (terminal 1)")
                .contains("UAC1 AudioControl: input terminal 1 (USB streaming); feature unit 3 (mute, volume) <- 1;"
                        + " output terminal 2 (speaker) <- 3")
                .contains("UVC format 1: uncompressed YUY2 (16 bits per pixel): 160x120 at 30 fps (up to 38400 bytes)")
                .contains("CE: SetInterface(1, 1); OpenPipe(0x81); IssueIsochTransfer(USB_IN_TRANSFER |"
                        + " USB_START_ISOCH_ASAP), up to 96 bytes per frame entry")
                .contains("WinUSB: WinUsb_SetCurrentAlternateSetting(1); WinUsb_RegisterIsochBuffer(0x81);"
                        + " WinUsb_ReadIsochPipeAsap")
                .contains("usbd stream --device 1209:0003 --interface 1 --alt 1 --endpoint 0x81")
                .contains("endpoint 0x82 IN bulk: wMaxPacketSize 0x0040 = 64 bytes\n"
                        + "        CE: SetInterface(1, 0); OpenPipe(0x82); IssueBulkTransfer(USB_IN_TRANSFER)")
                .contains("1209:0004 usbd4j UVC Camera (high speed)")
                .contains("interface 1 alt 2: class 0x0E/0x02/0x00 Video Streaming");
    }

    @Test
    void loopbackTestOnHighSpeed() {
        Run r = run("loopback-test", "--speed", "high", "--frames", "4000");
        assertThat(r.exit()).isZero();
        assertThat(r.out())
                .contains("high-speed")
                .contains("4000 packets")
                .contains("0 came back different, 0 never came back");
    }

    @Test
    void playAndRecordRoundTrip(@TempDir Path dir) throws Exception {
        byte[] pcm = new byte[44_100 * 4 / 10];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (byte) (i * 7);
        }
        Path in = dir.resolve("in.wav");
        new WavFile(44_100, 2, 16, pcm).write(in);
        Run play = run("play", in.toString());
        assertThat(play.exit()).isZero();
        assertThat(play.out())
                .contains("sampling frequency set to 44100 Hz")
                .contains("byte-exact with the file")
                .contains("OUT 0x01: frames 100, bytes " + pcm.length);

        Path rec = dir.resolve("rec.wav");
        Run record = run("record", rec.toString(), "--seconds", "0.5");
        assertThat(record.exit()).isZero();
        assertThat(record.out()).contains("24000 samples").contains("IN  0x81: frames 500, bytes 48000, errors 0");
        assertThat(WavFile.read(rec).pcm()).hasSize(48_000);
        assertThat(run("record", rec.toString(), "--seconds", "-1").exit()).isEqualTo(2);
    }

    @Test
    void cameraSavesFrames(@TempDir Path dir) throws Exception {
        Run r = run("camera", "--frames", "3", "--out", dir.toString(), "--raw");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("captured 3 complete video frames (160x120 YUY2, 38400 bytes each; 0 incomplete)");
        assertThat(Files.readAllBytes(dir.resolve("frame-0001.yuy2"))).isEqualTo(UvcCamera.expectedFrame(1));
        assertThat(Files.exists(dir.resolve("frame-0002.pgm"))).isTrue();
    }

    @Test
    void streamAnyIsoEndpoint(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mic.raw");
        Run r = run(
                "stream",
                "--device",
                "1209:0003",
                "--interface",
                "1",
                "--alt",
                "1",
                "--endpoint",
                "0x81",
                "--packets",
                "200",
                "--in-flight",
                "2",
                "--compress",
                "--file",
                file.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("IN  0x81: frames 200, bytes 19200, errors 0, late/missed 0");
        byte[] data = Files.readAllBytes(file);
        assertThat(data).hasSize(19_200);

        Run out = run(
                "stream", "--device", "1209:0001", "--endpoint", "0x01", "--packet-length", "100", "--packets", "64");
        assertThat(out.exit()).isZero();
        assertThat(out.out()).contains("OUT 0x01: frames 64, bytes 6400, errors 0");

        Run late = run("stream", "--device", "1209:0001", "--endpoint", "0x81", "--start-frame", "1");
        assertThat(late.exit()).isEqualTo(4);
        assertThat(late.out()).contains("IssueIsochTransfer refused: ERROR_CAN_NOT_COMPLETE");

        Run noEp = run("stream", "--device", "1209:0003", "--interface", "1", "--endpoint", "0x02");
        assertThat(noEp.exit()).isEqualTo(2);
        assertThat(noEp.err()).contains("no isochronous endpoint 0x02");
        assertThat(Uac1Microphone.BYTES_PER_FRAME).isEqualTo(96);
    }

    @Test
    void usbipAttachLine() {
        assertThat(UsbdTool.ServeUsbIp.attachCommand(InetAddress.getLoopbackAddress(), 3240, "1-1"))
                .isEqualTo("usbip attach -r 127.0.0.1 -b 1-1");
        assertThat(UsbdTool.ServeUsbIp.attachCommand(InetAddress.getLoopbackAddress(), 3300, "1-2"))
                .isEqualTo("usbip --tcp-port 3300 attach -r 127.0.0.1 -b 1-2");
    }

    // ---- exit codes, errors, files (issue 14) --------------------------------------------------------------

    /** A user error: one line on stderr, the usage exit code, no stack trace, nothing on stdout but what ran. */
    /**
     * A file the command reads or writes named again by {@code --capture} or {@code --plot} is refused before
     * anything runs: the capture would replace the WAV being played, or the recording, and be reported as
     * written while it is gone (or the other way round).
     */
    @Test
    void theCaptureOrThePlotCannotBeAFileTheCommandReadsOrWrites(@TempDir Path dir) throws Exception {
        Path music = dir.resolve("music.wav");
        byte[] wav = new WavFile(48_000, 2, 16, new byte[4_800]).toBytes();
        Files.write(music, wav);
        assertOneLineError(
                run("play", music.toString(), "--capture", music.toString()),
                2,
                "FILE.wav and --capture name the same file");
        assertThat(Files.readAllBytes(music)).isEqualTo(wav);

        Path rec = dir.resolve("rec.wav");
        Files.writeString(rec, "before");
        assertOneLineError(
                run("record", rec.toString(), "--seconds", "0.1", "--capture", rec.toString()),
                2,
                "FILE.wav and --capture name the same file");
        assertOneLineError(
                run(
                        "record",
                        rec.toString(),
                        "--seconds",
                        "0.1",
                        "--plot",
                        dir.resolve(".").resolve("rec.wav").toString()),
                2,
                "FILE.wav and --plot name the same file");
        assertThat(Files.readString(rec)).isEqualTo("before");

        Path link = dir.resolve("link.png");
        Files.createSymbolicLink(link, rec);
        assertOneLineError(
                run("record", rec.toString(), "--seconds", "0.1", "--plot", link.toString()),
                2,
                "FILE.wav and --plot name the same file");

        Path raw = dir.resolve("in.raw");
        Files.write(raw, new byte[64]);
        assertOneLineError(
                run(
                        "stream",
                        "--device",
                        "1209:0001",
                        "--interface",
                        "0",
                        "--alt",
                        "1",
                        "--endpoint",
                        "0x01",
                        "--file",
                        raw.toString(),
                        "--plot",
                        raw.toString()),
                2,
                "--file and --plot name the same file");
        assertThat(Files.readAllBytes(raw)).isEqualTo(new byte[64]);
        assertOneLineError(
                run("stream", "--capture", rec.toString(), "--plot", rec.toString()),
                2,
                "--plot and --capture name the same file");
        assertThat(Files.readString(rec)).isEqualTo("before");
    }

    /** An idle timeout beyond a long of nanoseconds once failed as an internal error (exit 1, "long overflow"). */
    @Test
    void serveUsbipTakesAnIdleTimeoutOfAnyLength() {
        Run r = run("serve-usbip", "--port", "0", "--seconds", "1", "--idle-seconds", "99999999999999999");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
    }

    /**
     * An output that is not a regular file ({@code /dev/null}, a pipe) is refused before anything runs: the file
     * written beside it would replace it in one rename, which for {@code /dev/null} and a user who may write
     * {@code /dev} (sudo) takes the device away from the whole system. A pipe stands in for the device here.
     */
    @Test
    void anOutputThatIsADeviceOrAPipeIsRefusedNotReplaced(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor())
                .isZero();
        String refused = fifo + " is not a regular file (a device, a pipe or a socket)";
        assertOneLineError(run("stream", "--packets", "10", "--file", fifo.toString()), 2, "--file: " + refused);
        assertOneLineError(run("record", fifo.toString(), "--seconds", "0.1"), 2, "FILE.wav: " + refused);
        assertOneLineError(
                run("record", dir.resolve("r.wav").toString(), "--seconds", "0.1", "--capture", fifo.toString()),
                2,
                "--capture: " + refused);
        assertOneLineError(run("demo", "--seconds", "0.1", "--plot", fifo.toString()), 2, "--plot: " + refused);
        assertThat(Files.isRegularFile(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .isFalse();
        assertThat(Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(dir.resolve("r.wav")).doesNotExist();
    }

    /**
     * A start frame refused after the device was taken is a usage error, and exit 2 promises that no file was
     * touched: the capture of the enumeration replaced the previous {@code --capture} file all the same.
     */
    @Test
    void aStartFrameRefusedAfterTheDeviceWasTakenLeavesTheCaptureAsItWas(@TempDir Path dir) throws Exception {
        Path capture = dir.resolve("x.pcapng");
        Files.writeString(capture, "previous");
        assertOneLineError(
                run("stream", "--packets", "100", "--start-frame", "4294967295", "--capture", capture.toString()),
                2,
                "too late for this run to stream 100 packets");
        assertThat(Files.readString(capture)).isEqualTo("previous");
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(capture);
        }
    }

    /**
     * A start frame earlier than the bus takes one (its current frame plus the lead, reference/ce-usbd.html#s1-8)
     * is refused by CE, a refused transfer (exit 4); the run says why and which frames work. It said only
     * "IssueIsochTransfer was refused (ERROR_CAN_NOT_COMPLETE)", after printing frame 0 as the current one.
     */
    @Test
    void aStartFrameTooEarlyIsExplainedWithTheFirstOneTaken() {
        Run early = run("stream", "--packets", "10", "--start-frame", "5");
        assertThat(early.exit()).as(early.out()).isEqualTo(4);
        assertThat(early.out())
                .contains("--start-frame 5 is earlier than frame 6, the first the bus takes a transfer at (its current"
                        + " frame 0 + a lead of 6 frames), so the transfer was refused: choose a frame from 6 up to ")
                .contains("result: IssueIsochTransfer was refused (ERROR_CAN_NOT_COMPLETE)");
        Run first = run("stream", "--packets", "10", "--start-frame", "6");
        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(first.out()).doesNotContain("is earlier than");
    }

    /**
     * A value out of range is named with its option, its range and the value given; one message named three
     * options at once ("--in-flight must be positive, --frames-per-transfer and --packet-length >= 0").
     */
    @Test
    void anOutOfRangeValueNamesItsOptionItsRangeAndTheValue() {
        assertOneLineError(run("stream", "--in-flight", "0"), 2, "stream: --in-flight must be >= 1, was 0 (see");
        assertOneLineError(
                run("stream", "--frames-per-transfer", "-1"),
                2,
                "stream: --frames-per-transfer must be >= 0, was -1 (see");
        assertOneLineError(
                run("stream", "--packet-length", "-2"), 2, "stream: --packet-length must be >= 0, was -2 (see");
        assertOneLineError(
                run("serve-usbip", "--port", "65536"), 2, "serve-usbip: --port must be 0..65535, was 65536 (see");
        assertOneLineError(
                run("serve-usbip", "--seconds", "-1"), 2, "serve-usbip: --seconds must be >= 0, was -1 (see");
        assertOneLineError(
                run("serve-usbip", "--idle-seconds", "-5"), 2, "serve-usbip: --idle-seconds must be >= 0, was -5 (see");
        assertOneLineError(
                run("play", "--volume", "NaN", "x.wav"),
                2,
                "play: --volume must be a number of decibels, was NaN (see");
    }

    /**
     * {@code -} (standard output to many tools) and an empty name name no file to write: {@code record -} wrote a
     * file named {@code -} and exited 0 with nothing on the pipe, {@code --plot ''} called the directory a file.
     */
    @Test
    void aDashOrAnEmptyNameIsNoOutputFile() {
        String dash = "'-' names no file: the tool writes its files whole, through a temporary file renamed at the"
                + " end, not to standard output (./- is a file named '-')";
        assertOneLineError(run("record", "-", "--seconds", "0.1"), 2, "FILE.wav: " + dash);
        assertOneLineError(run("demo", "--seconds", "0.1", "--capture", "-"), 2, "--capture: " + dash);
        assertOneLineError(run("stream", "--packets", "10", "--file", "-"), 2, "--file: " + dash);
        assertOneLineError(run("demo", "--seconds", "0.1", "--plot", ""), 2, "--plot: an empty name names no file");
        assertOneLineError(run("camera", "--out", ""), 2, "--out: an empty name names no directory");
        assertThat(Path.of("-")).doesNotExist();
    }

    /**
     * An output named through a link is written where the link points and the link stays; a link to a pipe
     * is refused like the pipe. {@code --capture /dev/stdout} (a link to the tool's output) replaced the system's
     * {@code /dev/stdout} link with the capture, for root; it exited 0.
     */
    @Test
    void anOutputNamedThroughALinkIsWrittenWhereItPoints(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor())
                .isZero();
        Path toFifo = Files.createSymbolicLink(dir.resolve("stdout"), fifo);
        Path wav = dir.resolve("r.wav");
        assertOneLineError(
                run("record", wav.toString(), "--seconds", "0.1", "--capture", toFifo.toString()),
                2,
                "--capture: " + toFifo + " is not a regular file (a device, a pipe or a socket)");
        assertThat(Files.isSymbolicLink(toFifo)).isTrue();
        assertThat(wav).doesNotExist();

        Path real = dir.resolve("real.pcapng");
        Path link = Files.createSymbolicLink(dir.resolve("link.pcapng"), real);
        Path wavLink = Files.createSymbolicLink(dir.resolve("wav-link.wav"), wav);
        Run r = run("record", wavLink.toString(), "--seconds", "0.1", "--capture", link.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.isSymbolicLink(wavLink)).isTrue();
        assertThat(io.github.usbd4j.capture.CaptureReader.readCapture(real).records())
                .isNotEmpty();
        assertThat(WavFile.read(wav).pcm()).hasSize(9600);
    }

    /**
     * A {@code --missed-frame} outside the bus frames the stream ran in misses nothing; the run says so rather than
     * list it among the faults injected and leave the user to wonder why nothing was lost there.
     */
    @Test
    void aMissedFrameOutsideTheStreamIsNamedAsMissingNothing() {
        Run r = run("loopback-test", "--frames", "100", "--missed-frame", "5", "--missed-frame", "60");
        assertThat(r.exit()).as(r.out()).isEqualTo(5);
        assertThat(r.out())
                .containsPattern("missed frames \\[5\\]: outside the bus frames the stream ran in \\(\\d+\\.\\.\\d+\\),"
                        + " so nothing was missed there")
                .contains("frame 60 ep 0x81 USB_NOT_ACCESSED_ERROR")
                .contains("result: 2 of 200 packets lost (USB_NOT_ACCESSED_ERROR 2)");
        assertThat(run("loopback-test", "--frames", "100", "--missed-frame", "60")
                        .out())
                .doesNotContain("outside the bus frames");
    }

    /** An OUT file shorter than --packets ends the stream; the run says so instead of only counting fewer packets. */
    @Test
    void anOutFileShorterThanThePacketsAskedForIsSaidToHaveEnded(@TempDir Path dir) throws Exception {
        Path small = dir.resolve("small.raw");
        Files.write(small, new byte[600]);
        Run r = run("stream", "--endpoint", "0x01", "--packets", "100", "--file", small.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out())
                .contains("OUT data read from " + small + " (it ended after 2 of the 100 packets asked for)")
                .contains("result: 2 packets, none lost: exit 0");
        Path whole = dir.resolve("whole.raw");
        Files.write(whole, new byte[512 * 4]);
        assertThat(run("stream", "--endpoint", "0x01", "--packets", "4", "--file", whole.toString())
                        .out())
                .contains("OUT data read from " + whole + "\n")
                .doesNotContain("ended after");
    }

    static void assertOneLineError(Run r, int code, String contains) {
        assertThat(r.exit()).as("exit code of %s", r).isEqualTo(code);
        assertThat(r.err().strip().lines()).as("one line: %s", r.err()).hasSize(1);
        assertThat(r.err()).contains(contains).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void userErrorsAreOneLineWithTheirExitCodeAndNoStackTrace(@TempDir Path dir) throws Exception {
        Path existing = dir.resolve("existing.bin");
        Files.write(existing, new byte[] {1, 2, 3});
        FileTime before = Files.getLastModifiedTime(existing);

        assertOneLineError(
                run("stream", "--packet-length", "1024"), 2, "the frame length 1024 exceeds endpoint 0x81's 512");
        assertOneLineError(
                run("stream", "--endpoint", "0x85", "--file", existing.toString()), 2, "no isochronous endpoint 0x85");
        assertThat(Files.readAllBytes(existing))
                .as("an endpoint refused before the file is touched")
                .containsExactly(1, 2, 3);
        assertThat(Files.getLastModifiedTime(existing)).isEqualTo(before);
        assertOneLineError(run("camera", "--out", "/proc/nope"), 2, "--out: cannot write files in /proc/nope");
        assertOneLineError(run("stream", "--device", "1209:0009"), 2, "no simulated device 1209:0009");
        assertOneLineError(run("stream", "--device", "zz"), 2, "--device must be VID:PID");
        assertOneLineError(
                run("stream", "--device", "1209:0001@1-1"), 2, "the simulator's devices have no bus location");
        assertOneLineError(run("--backend", "libusb", "stream", "--device", "1209:0001@x"), 2, "BUS-PORTS");
        assertOneLineError(
                run("record", dir.resolve("x.wav").toString(), "--device", "1209:0002"), 2, "cannot do this");
        assertOneLineError(run("play", existing.toString()), 2, "not a RIFF/WAVE file");
        assertOneLineError(run("loopback-test", "--max-errors", "-1"), 2, "--max-errors must be >= 0");
        assertOneLineError(run("--backend", "libusb", "demo"), 2, "runs on the simulator only");
        assertOneLineError(run("serve-usbip", "--backend", "libusb"), 2, "runs on the simulator only");
        assertOneLineError(run("loopback-test", "--backend", "libusb", "--error-rate", "0.1"), 2, "simulator only");
        // once ignored in silence on a real device
        assertOneLineError(
                run("loopback-test", "--backend", "libusb", "--speed", "high"),
                2,
                "--speed applies to the simulator only: a real device runs at its own speed");
        assertOneLineError(
                run("loopback-test", "--backend", "libusb", "--seed", "7"),
                2,
                "--seed applies to the simulator only: it seeds the faults injected there");
    }

    @Test
    void countsAndDurationsBeyondTheirRangeAreUsageErrors() {
        // these once overflowed the run's bounds: an instant "did not end within" and negative packet counts
        assertOneLineError(run("demo", "--seconds", "Infinity"), 2, "--seconds must be 0.001..86400");
        assertOneLineError(run("demo", "--seconds", "1e300"), 2, "--seconds must be 0.001..86400");
        assertOneLineError(run("demo", "--seconds", "0.0001"), 2, "--seconds must be 0.001..86400");
        assertOneLineError(
                run("loopback-test", "--frames", "9223372036854775807"), 2, "--frames must be 1..1000000000");
        assertOneLineError(run("loopback-test", "--frames", "0"), 2, "--frames must be 1..1000000000");
        assertOneLineError(run("stream", "--packets", "4611686018427387904"), 2, "--packets must be 1..1000000000");
        assertOneLineError(
                run("camera", "--out", "/tmp", "--frames", "10000000000000000"), 2, "--frames must be 1..1000000000");
        assertOneLineError(run("record", "x.wav", "--seconds", "86401"), 2, "--seconds must be 0.001..86400");
        assertOneLineError(run("record", "x.wav", "--rate", "0"), 2, "--rate must be positive");
        assertOneLineError(
                run("loopback-test", "--missed-frame", "-1"), 2, "--missed-frame must be a bus frame number >= 0");
    }

    @Test
    void transferBuffersTooLargeToAllocateAreAUsageErrorBeforeAnythingIsOpened() {
        // 100,000,000 frames x 512 bytes once overflowed the buffer size: USBDeviceAttach threw, the device was
        // held with nothing streaming, and the run waited 18 s of bus time to report an I/O error
        Run r = run("stream", "--frames-per-transfer", "100000000");
        assertOneLineError(r, 2, "4 transfers in flight of 100000000 frames of up to 512 bytes need");
        assertThat(r.err()).contains("more than the 64 MiB this driver allocates at most");
        assertThat(r.out()).isEmpty();

        Run fits = run("stream", "--frames-per-transfer", "1000", "--packets", "3000");
        assertThat(fits.exit()).as(fits.out()).isZero();

        // without --frames-per-transfer the bound holds for the driver's default (8 ms: 8 frames at full speed,
        // 64 microframes on the camera's high-speed endpoint), not for 0; too many transfers in flight once ran
        // out of direct memory mid-run (exit 4, every packet lost)
        Run inFlight = run("stream", "--in-flight", "2147483647");
        assertOneLineError(inFlight, 2, "2147483647 transfers in flight of 8 frames of up to 512 bytes need");
        assertThat(inFlight.out()).isEmpty();
        assertOneLineError(
                run(
                        "stream",
                        "--device",
                        "1209:0004",
                        "--interface",
                        "1",
                        "--alt",
                        "3",
                        "--in-flight",
                        "400",
                        "--packets",
                        "10"),
                2,
                "400 transfers in flight of 64 frames of up to 3072 bytes need 78643200 bytes");
    }

    @Test
    void aWavFileCutShortOrEndingInAPartOfASampleFrameIsRefused(@TempDir Path dir) throws Exception {
        byte[] whole = new WavFile(48_000, 2, 16, new byte[19_200]).toBytes();
        Path cut = dir.resolve("cut.wav");
        Files.write(cut, java.util.Arrays.copyOf(whole, 44 + 9_600));
        // before: played the half that is there, exit 0, "byte-exact with the file"
        assertOneLineError(
                run("play", cut.toString()), 2, "cut short: its data chunk says 19200 bytes, the file holds 9600");

        Path odd = dir.resolve("odd.wav");
        byte[] oddBytes = new WavFile(48_000, 2, 16, new byte[4_801]).toBytes();
        Files.write(odd, oddBytes);
        // before: played 4,800 bytes, said "DIFFERENT from the file", and exited 0
        assertOneLineError(
                run("play", odd.toString()),
                2,
                "its data chunk of 4801 bytes is not a whole number of 4-byte sample frames");

        // a header written as a stream (length unknown) plays the whole sample frames there are
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(oddBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, -1).putInt(40, -1);
        Path streamed = dir.resolve("streamed.wav");
        Files.write(streamed, oddBytes);
        assertThat(WavFile.read(streamed).pcm()).hasSize(4_800);
        Run r = run("play", streamed.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("received 4800 bytes in 25 packets, byte-exact with the file");
    }

    @Test
    void aPortInUseIsAnIoErrorThatNamesTheAddressAndPort() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Run r = run("serve-usbip", "--port", Integer.toString(port), "--seconds", "1");
            // before: "usbd serve-usbip: Address already in use"
            assertOneLineError(r, 4, "cannot listen on 127.0.0.1:" + port + ": Address already in use");
        }
    }

    @Test
    void listJsonIsJsonOnStdoutAlsoWhenItFails(@TempDir Path dir) throws Exception {
        Path notACapture = dir.resolve("x.pcapng");
        Files.writeString(notACapture, "not a capture");
        Run r = run("list", "--json", "--replay", notACapture.toString());
        assertOneLineError(r, 2, "not a pcap or pcapng file");
        assertThat(r.out())
                .startsWith("{\n  \"error\": \"--replay: ")
                .contains("not a pcap or pcapng file")
                .endsWith(",\n  \"exitCode\": 2\n}\n");

        Run bad = run("list", "--json", "--loop");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).contains("\"error\": \"--replay-device and --loop go with --replay CAPTURE\"");

        Run noJson = run("list", "--loop");
        assertThat(noJson.out()).as("without --json, stdout stays empty").isEmpty();
    }

    @Test
    void aRecordingToADirectoryThatDoesNotExistFailsAtOnce() {
        long t0 = System.nanoTime();
        Run r = run("record", "/nonexistent/dir/x.wav", "--seconds", "600");
        assertOneLineError(r, 2, "FILE.wav: no such directory: /nonexistent/dir");
        assertThat(r.out()).isEmpty();
        assertThat(System.nanoTime() - t0).as("before any streaming").isLessThan(10_000_000_000L);
    }

    @Test
    void debugShowsTheStackTrace() {
        Run r = run("--debug", "stream", "--packet-length", "1024");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("\tat io.github.usbd4j.samples.tool.");
    }

    @Test
    void lostPacketsGiveExitCode5UnlessAllowedAndTheResultLineCountsThem() {
        Run lost = run("loopback-test", "--error-rate", "0.5", "--frames", "2000");
        assertThat(lost.exit()).isEqualTo(5);
        assertThat(lost.out())
                .doesNotContainPattern("\\b2000 packets \\(\\d+ bytes\\) verified")
                .containsPattern(
                        "result: (\\d+) of 4000 packets lost \\(USB_CRC_ERROR \\1\\), more than --max-errors 0:"
                                + " exit 5 \\(packets lost\\)");
        Run allowed = run("loopback-test", "--error-rate", "0.5", "--frames", "2000", "--max-errors", "4000");
        assertThat(allowed.exit()).isZero();
        assertThat(allowed.out()).contains("within --max-errors 4000: exit 0");
        Run clean = run("loopback-test", "--frames", "500");
        assertThat(clean.exit()).isZero();
        assertThat(clean.out()).contains("result: 1000 packets, none lost: exit 0");
    }

    @Test
    void aRefusedTransferIsAnIoErrorAndItsPacketsAreLost() {
        Run late = run("stream", "--device", "1209:0001", "--endpoint", "0x81", "--start-frame", "1");
        assertThat(late.exit()).isEqualTo(4);
        assertThat(late.out())
                .contains("IssueIsochTransfer refused: ERROR_CAN_NOT_COMPLETE")
                .contains("result: IssueIsochTransfer was refused (ERROR_CAN_NOT_COMPLETE); 1000 of 1000 packets lost"
                        + " (never ran 1000): exit 4 (io error)");
    }

    /**
     * {@code --start-frame} is a DWORD {@code dwStartingFrame}: a negative value used to stream ASAP as if the
     * option were absent, and one above 2^32 - 1 was truncated to an early frame. A frame after the run's wait
     * (CE takes any future frame, [§1.8](reference/ce-usbd.html#s1-8)) used to wait it out and report lost packets;
     * it is refused at the start, with the frames the run can reach.
     */
    @Test
    void aStartFrameOutsideADwordOrBeyondTheRunIsAUsageError() {
        for (String bad : List.of("-5", "-1", "4294967296")) {
            assertOneLineError(
                    run("stream", "--endpoint", "0x81", "--start-frame", bad),
                    2,
                    "--start-frame must be 0..4294967295 (a DWORD frame number), was " + bad);
        }
        // 64 packets: the run waits 64 * 8 + 10,000 frames, so the last start that ends in time is 10,448
        Run far = run("stream", "--endpoint", "0x81", "--packets", "64", "--start-frame", "10449");
        assertOneLineError(
                far,
                2,
                "--start-frame 10449 is 10.449 s of bus time after the bus's current frame 0, too late for this run"
                        + " to stream 64 packets: choose a frame up to 10448, or --asap (nothing was streamed)");
        assertThat(far.out()).doesNotContain("result:");
        Run edge = run("stream", "--endpoint", "0x81", "--packets", "64", "--start-frame", "10448");
        assertThat(edge.exit()).isZero();
        assertThat(edge.out()).contains("IN  0x81: frames 64, bytes 32768, errors 0, late/missed 0");
    }

    @Test
    void noDeviceIsExitCode3AndSaysWhatIsOnTheBus() {
        Run r = run("--backend", "libusb", "stream", "--device", "ffff:fffe", "--wait", "0.5");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err())
                .containsAnyOf("no device ffff:fffe appeared within 0.500 s; on the bus: ", "USB is not available here")
                .doesNotContain("\tat ");
    }

    @Test
    void devfileOnLibusbWaitsForItsDeviceAndSaysWhatIsOnTheBus() {
        Run r = run("--backend", "libusb", "devfile", "--device", "ffff:fffe", "--wait", "0.5", "LBK1:", "read:1");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err())
                .containsAnyOf("no device ffff:fffe appeared within 0.500 s; on the bus: ", "USB is not available here")
                .doesNotContain("\tat ");
        assertThat(r.out()).doesNotContain("CreateFile").doesNotContain("loaded LBK");
        assertOneLineError(run("--backend", "libusb", "devfile", "LBK1:", "unplug"), 2, "needs the sim backend");
        assertOneLineError(run("--backend", "libusb", "devfile", "--devices", "2", "LBK1:"), 2, "sim backend only");
        assertOneLineError(run("devfile", "--wait", "0", "LBK1:"), 2, "--wait must be > 0");
    }

    @Test
    void aCameraRunThatFindsNoDeviceCreatesNoOutputDirectory(@TempDir Path dir) {
        Path out = dir.resolve("new").resolve("frames");
        Run r = run("--backend", "libusb", "camera", "--out", out.toString(), "--device", "ffff:fffe", "--wait", "0.5");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(dir.resolve("new")).doesNotExist();
        Run sim = run("camera", "--out", out.toString(), "--frames", "2");
        assertThat(sim.exit()).as(sim.err()).isZero();
        assertThat(out).isDirectoryContaining("glob:**/frame-*.pgm");
    }

    @Test
    void theLibusbListNeverShowsASimulatedDevice() {
        Run r = run("--backend", "libusb", "list");
        assertThat(r.exit()).isIn(0, 3);
        assertThat(r.out() + r.err()).doesNotContain("usbd4j Loopback").doesNotContain("UAC1 Speaker");
        Run json = run("list", "--backend", "libusb", "--json");
        assertThat(json.out() + json.err()).doesNotContain("usbd4j Loopback");
    }

    @Test
    void everyIsoEndpointThatListShowsStreamsWithTheCommandListPrints() {
        Run list = run("list");
        List<String> commands = list.out()
                .lines()
                .map(String::strip)
                .filter(l -> l.startsWith("usbd stream "))
                .toList();
        assertThat(commands).hasSizeGreaterThanOrEqualTo(8);
        for (String c : commands) {
            List<String> args = new java.util.ArrayList<>(
                    List.of(c.substring("usbd ".length()).split(" ")));
            args.addAll(List.of("--packets", "64"));
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s%s", c, r.out(), r.err()).isZero();
            String device = args.get(args.indexOf("--device") + 1);
            String speed = list.out()
                    .lines()
                    .filter(l -> l.startsWith(device + " "))
                    .findFirst()
                    .orElseThrow()
                    .replaceAll(".*\\((full|high) speed.*", "$1");
            assertThat(r.out()).as("%s runs at the speed list shows", c).contains("result: 64 packets, none lost");
            assertThat(speed).isIn("full", "high");
        }
    }

    @Test
    void listJsonHasTheSameFacts() {
        Run r = run("list", "--json");
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).startsWith("{").endsWith("}");
        assertThat(r.out())
                .contains("\"backend\": \"sim\"")
                .contains("\"id\": \"1209:0001\"")
                .contains("\"speed\": \"full\"")
                .contains("\"wMaxPacketSize\": \"0x1400\"")
                .contains("\"transactionsPerMicroframe\": 3")
                .contains("\"bytesPerServiceInterval\": 3072")
                .contains("\"periodMicroseconds\": 125")
                .contains("\"syncType\": \"adaptive\"")
                .contains("\"winusb\": \"WinUsb_SetCurrentAlternateSetting(1); WinUsb_RegisterIsochBuffer(0x81);"
                        + " WinUsb_ReadIsochPipeAsap\"")
                .contains("UAC1 format: PCM, 1 ch, 16 bit, 48000 Hz (terminal 2)");
    }

    @Test
    void playSetsTheVolumeAndRefusesOneOutOfRange(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.wav");
        new WavFile(48_000, 2, 16, new byte[48 * 4 * 50]).write(in);
        Run play = run("play", "--volume", "-6.5", in.toString());
        assertThat(play.exit()).isZero();
        assertThat(play.out())
                .contains("speaker: volume -6.50 dB on channels 1, 2 of feature unit 3 (range -64.00 dB..+0.00 dB),"
                        + " unmuted");
        assertOneLineError(
                run("play", "--volume", "8", in.toString()),
                2,
                "--volume: +8.00 dB is outside the device's volume range -64.00 dB..+0.00 dB");
        // beyond a long in 1/256 dB: these once wrapped to 0 and -1/256 dB, full volume, and played
        assertOneLineError(
                run("play", "--volume", "-1e308", in.toString()),
                2,
                "--volume: -1.0E308 dB is outside the device's volume range -64.00 dB..+0.00 dB");
        assertOneLineError(
                run("play", "--volume", "1e20", in.toString()),
                2,
                "--volume: 1.0E20 dB is outside the device's volume range -64.00 dB..+0.00 dB");
        assertOneLineError(
                run("play", "--volume", "-200", in.toString()),
                2,
                "--volume: -200.00 dB is outside the device's volume range -64.00 dB..+0.00 dB");
        Path mono = dir.resolve("mono.wav");
        new WavFile(48_000, 1, 16, new byte[960]).write(mono);
        assertOneLineError(
                run("play", mono.toString()),
                2,
                "it plays PCM, 2 ch, 16 bit, 44100, 48000 Hz, not the file's PCM, 1 ch");
    }

    @Test
    void recordReplacesTheFileOnlyWithACompleteRecording(@TempDir Path dir) throws Exception {
        Path rec = dir.resolve("rec.wav");
        Files.writeString(rec, "previous");
        Run r = run("record", rec.toString(), "--seconds", "0.25");
        assertThat(r.exit()).isZero();
        WavFile wav = WavFile.read(rec);
        assertThat(wav.pcm()).hasSize(250 * Uac1Microphone.BYTES_PER_FRAME);
        java.nio.ByteBuffer pcm = java.nio.ByteBuffer.wrap(wav.pcm()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i < wav.pcm().length / 2; i++) {
            assertThat((short) (pcm.getShort(2 * i) - pcm.getShort(2 * i - 2)))
                    .as("sample %d", i)
                    .isEqualTo((short) 1);
        }
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("rec.wav");
        }
    }

    @Test
    void helpShowsTheExitCodes() {
        for (String[] args :
                List.of(new String[] {"--help"}, new String[] {"record", "--help"}, new String[] {"list", "--help"})) {
            Run r = run(args);
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("Exit codes:");
            for (ExitCode c : ExitCode.values()) {
                assertThat(r.out())
                        .containsPattern("\\s" + c.code() + "\\s+"
                                + java.util.regex.Pattern.quote(c.meaning().substring(0, 20)));
            }
        }
    }

    @Test
    void theReadmeAndTheSitePageShowTheExitCodeTable() throws Exception {
        String table = ExitCode.markdownTable();
        assertThat(Files.readString(Path.of("../README.md"))).contains(table);
        assertThat(Files.readString(Path.of("../src-site/markdown/usbd.md"))).contains(table);
    }
}
