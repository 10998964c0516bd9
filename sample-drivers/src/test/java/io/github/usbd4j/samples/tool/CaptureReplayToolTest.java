package io.github.usbd4j.samples.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.capture.CaptureReader;
import io.github.usbd4j.capture.Tshark;
import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.capture.UsbmonRecord;
import io.github.usbd4j.samples.tool.UsbdToolTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --capture} on the streaming commands, {@code --replay} and {@code usbd replay}, through the tool. */
class CaptureReplayToolTest {
    @TempDir
    Path dir;

    private static final Pattern IN_SUMMARY = Pattern.compile(
            "IN  0x81: frames (\\d+), bytes (\\d+), errors \\d+ \\(USB_CRC_ERROR (\\d+), USB_NOT_ACCESSED_ERROR (\\d+)\\)");
    private static final Pattern ERROR_FRAME = Pattern.compile("frame (\\d+) ep 0x81 (USB_\\w+)");

    @Test
    void demoCapture_readsInTshark_andItsIsoDescriptorsAreWhatTheDriverGot() throws Exception {
        Tshark.assume();
        Path x = dir.resolve("x.pcapng");
        Run r = UsbdToolTest.run("demo", "--seconds", "6", "--capture", x.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("capture: ").contains(x.toString());
        assertThat(Tshark.problems(x))
                .as("malformed packets or expert warnings")
                .isEmpty();
        List<String[]> rows = Tshark.fields(
                x,
                "usb.urb_type",
                "usb.transfer_type",
                "usb.endpoint_address",
                "usb.urb_status",
                "usb.start_frame",
                "usb.iso.iso_status",
                "usb.iso.iso_len");
        long bytes = 0;
        int crc = 0;
        int missed = 0;
        int frames = 0;
        Map<Long, Integer> statusByBusFrame = new HashMap<>();
        for (String[] row : rows) {
            if (!row[0].equals("'C'") || !row[1].equals("0x00") || !row[2].equals("0x81")) {
                continue;
            }
            boolean cancelled = !row[3].equals("0");
            String[] st = row[5].split(",");
            String[] len = row[6].split(",");
            long start = Long.parseLong(row[4]);
            for (int k = 0; k < st.length; k++) {
                int status = Integer.parseInt(st[k]);
                if (cancelled && status == Usbmon.EXDEV) {
                    continue; // cut short when the driver stopped: the driver counts no frame there
                }
                frames++;
                bytes += Long.parseLong(len[k]);
                crc += status == Usbmon.EILSEQ ? 1 : 0;
                missed += status == Usbmon.EXDEV ? 1 : 0;
                statusByBusFrame.put(start + k, status);
            }
        }
        Matcher m = IN_SUMMARY.matcher(r.out());
        assertThat(m.find()).as("the IN summary in\n%s", r.out()).isTrue();
        assertThat(frames).as("IN frames").isEqualTo(Integer.parseInt(m.group(1)));
        assertThat(bytes).as("IN bytes").isEqualTo(Long.parseLong(m.group(2)));
        assertThat(crc).as("CRC errors").isEqualTo(Integer.parseInt(m.group(3)));
        assertThat(missed).as("missed frames").isEqualTo(Integer.parseInt(m.group(4)));
        Matcher e = ERROR_FRAME.matcher(r.out());
        int listed = 0;
        while (e.find()) {
            long frame = Long.parseLong(e.group(1));
            int expected = e.group(2).equals("USB_CRC_ERROR") ? Usbmon.EILSEQ : Usbmon.EXDEV;
            assertThat(statusByBusFrame.get(frame)).as("frame %d", frame).isEqualTo(expected);
            listed++;
        }
        assertThat(listed).isGreaterThan(2);
        assertThat(CaptureReader.read(x)).hasSameSizeAs(rows);
    }

    @Test
    void capturedMicrophone_replayed_recordsAByteIdenticalWav() throws Exception {
        Path capture = dir.resolve("mic.pcapng");
        Path live = dir.resolve("live.wav");
        Path replayed = dir.resolve("replayed.wav");
        Run a = UsbdToolTest.run("record", "--seconds", "3", "--capture", capture.toString(), live.toString());
        assertThat(a.exit()).as(a.err()).isZero();
        Run b = UsbdToolTest.run("record", "--seconds", "3", "--replay", capture.toString(), replayed.toString());
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.out()).contains("replay: every control request was answered");
        assertThat(Files.readAllBytes(replayed)).isEqualTo(Files.readAllBytes(live));
        assertThat(Files.size(live)).isGreaterThan(3 * 96_000L);
        // stream takes the replayed device without --device (its default names a built-in one)
        Path raw = dir.resolve("in.raw");
        Run c = UsbdToolTest.run(
                "stream",
                "--replay",
                capture.toString(),
                "--interface",
                "1",
                "--alt",
                "1",
                "--endpoint",
                "0x81",
                "--packets",
                "500",
                "--file",
                raw.toString());
        assertThat(c.exit()).as("%s", c).isZero();
        assertThat(Files.size(raw)).isEqualTo(500L * 96);
    }

    /** Past a capture's end a replayed device sends empty packets, which look like a quiet device's: the run says so. */
    @Test
    void aRunLongerThanItsCapture_saysTheDataRanOut_andALoopDoesNot() throws Exception {
        Path capture = dir.resolve("short.pcapng");
        Run a = UsbdToolTest.run(
                "record",
                "--seconds",
                "1",
                "--capture",
                capture.toString(),
                dir.resolve("a.wav").toString());
        assertThat(a.exit()).as(a.err()).isZero();
        Run longer = UsbdToolTest.run(
                "record",
                "--seconds",
                "2",
                "--replay",
                capture.toString(),
                dir.resolve("b.wav").toString());
        assertThat(longer.exit()).as(longer.err()).isZero();
        assertThat(longer.out()).containsPattern("the capture's isochronous IN data ran out: the last \\d+ packet");
        Run looped = UsbdToolTest.run(
                "record",
                "--seconds",
                "2",
                "--replay",
                capture.toString(),
                "--loop",
                dir.resolve("c.wav").toString());
        assertThat(looped.exit()).as(looped.err()).isZero();
        assertThat(looped.out()).doesNotContain("ran out");
        Run shorter = UsbdToolTest.run(
                "record",
                "--seconds",
                "0.5",
                "--replay",
                capture.toString(),
                dir.resolve("d.wav").toString());
        assertThat(shorter.exit()).as(shorter.err()).isZero();
        assertThat(shorter.out()).contains("replay: every control request").doesNotContain("ran out");
    }

    @Test
    void replayAndListReplay_showTheCapturedDevice_asListShowsTheLiveOne() throws Exception {
        Path capture = dir.resolve("mic.pcapng");
        assertThat(UsbdToolTest.run(
                                "record",
                                "--seconds",
                                "1",
                                "--capture",
                                capture.toString(),
                                dir.resolve("m.wav").toString())
                        .exit())
                .isZero();
        String liveList = UsbdToolTest.run("list").out();
        String mic = liveList.substring(liveList.indexOf("1209:0003"), liveList.indexOf("1209:0004"));
        String interfaces = mic.substring(mic.indexOf('\n') + 1);
        Run list = UsbdToolTest.run("list", "--replay", capture.toString());
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).startsWith("1209:0003").contains(interfaces);
        Run replay = UsbdToolTest.run("replay", capture.toString());
        assertThat(replay.exit()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("replaying device 1.1 (full speed)").contains(interfaces);
    }

    @Test
    void aFileThatIsNoCapture_isAUsageErrorOnOneLine() throws Exception {
        Path bogus = dir.resolve("bogus.pcapng");
        Files.writeString(bogus, "not a capture at all");
        Run r = UsbdToolTest.run("replay", bogus.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("CAPTURE: ").contains("not a pcap or pcapng file");
        Run missing = UsbdToolTest.run(
                "record", "--replay", dir.resolve("nope.pcapng").toString(), "x.wav");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--replay: no such file");
        // the error names the argument as the command's help does: CAPTURE for replay's positional one
        Run missingReplay =
                UsbdToolTest.run("replay", dir.resolve("nope.pcapng").toString());
        assertThat(missingReplay.exit()).isEqualTo(2);
        assertThat(missingReplay.err())
                .contains("usbd replay: CAPTURE: no such file")
                .doesNotContain("--replay");
    }

    @Test
    void everyStreamingCommand_capturesWhatItStreamed() throws Exception {
        Path wav = dir.resolve("tone.wav");
        new io.github.usbd4j.samples.audio.WavFile(48_000, 2, 16, new byte[48 * 4 * 300]).write(wav);
        List<List<String>> commands = List.of(
                List.of("loopback-test", "--frames", "200"),
                List.of("play", wav.toString()),
                List.of(
                        "camera",
                        "--frames",
                        "2",
                        "--out",
                        dir.resolve("frames").toString()),
                List.of(
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
                        "100"));
        for (List<String> command : commands) {
            Path capture = dir.resolve(command.get(0) + ".pcapng");
            List<String> args = new java.util.ArrayList<>(command);
            args.add("--capture");
            args.add(capture.toString());
            Run r = UsbdToolTest.run(args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s", command, r).isZero();
            List<UsbmonRecord> records = CaptureReader.read(capture);
            assertThat(r.out()).as("%s", command).contains("capture: " + records.size() + " usbmon records");
            assertThat(records.stream().filter(x -> x.xferType() == Usbmon.XFER_ISOCHRONOUS))
                    .as("%s: iso records", command)
                    .hasSizeGreaterThanOrEqualTo(4);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
    }

    @Test
    void captureAndReplayOptions_areCheckedBeforeAnythingIsTouched() throws Exception {
        Path capture = dir.resolve("keep.pcapng");
        Files.writeString(capture, "the previous capture");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run(
                        "demo", "--capture", dir.resolve("no/such/dir/x.pcapng").toString()),
                2,
                "--capture: no such directory");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("demo", "--capture-snaplen", "10"), 2, "--capture-snaplen goes with --capture");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("demo", "--capture", capture.toString(), "--capture-snaplen", "-1"),
                2,
                "--capture-snaplen must be");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run(
                        "record", "--replay-device", "1.2", dir.resolve("x.wav").toString()),
                2,
                "go with --replay");
        // --replay and replay are the simulator's: one line, exit 2, on libusb
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("--backend", "libusb", "record", "--replay", capture.toString(), "x.wav"),
                2,
                "--replay runs on the simulator");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("--backend", "libusb", "list", "--replay", capture.toString()),
                2,
                "--replay runs on the simulator");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("--backend", "libusb", "stream", "--replay", capture.toString(), "--endpoint", "0x81"),
                2,
                "--replay runs on the simulator");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("--backend", "libusb", "replay", capture.toString()), 2, "runs on the simulator only");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("serve-usbip", "--loop", "--seconds", "1"), 2, "--loop goes with --replay");
        // a device the replayed one is not, named with --device: a usage error
        Path mic = dir.resolve("mic.pcapng");
        assertThat(UsbdToolTest.run(
                                "record",
                                "--seconds",
                                "1",
                                "--capture",
                                mic.toString(),
                                dir.resolve("m.wav").toString())
                        .exit())
                .isZero();
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run("record", "--replay", mic.toString(), "--device", "1209:0004", "x.wav"),
                2,
                "is not the device of");
        UsbdToolTest.assertOneLineError(
                UsbdToolTest.run(
                        "camera", "--frames", "1", "--out", dir.resolve("f").toString(), "--replay", mic.toString()),
                2,
                "Unknown option");
        assertThat(Files.readString(capture)).isEqualTo("the previous capture");
        assertThat(dir.resolve("x.wav")).doesNotExist();
    }

    @Test
    void noDeviceOnLibusb_leavesThePreviousCaptureAsItWas() throws Exception {
        Path capture = dir.resolve("keep.pcapng");
        Files.writeString(capture, "the previous capture");
        Run r = UsbdToolTest.run(
                "--backend",
                "libusb",
                "stream",
                "--device",
                "ffff:fffe",
                "--wait",
                "0.5",
                "--capture",
                capture.toString());
        assertThat(r.exit()).as("%s", r).isEqualTo(3);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(Files.readString(capture)).isEqualTo("the previous capture");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("keep.pcapng");
        }
    }

    static List<UsbmonRecord> read(Path p) throws Exception {
        return CaptureReader.read(p);
    }
}
