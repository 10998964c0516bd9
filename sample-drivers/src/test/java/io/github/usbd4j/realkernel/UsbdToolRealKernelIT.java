package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.usbd4j.samples.audio.WavFile;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.sim.UvcCamera;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./usbd} script, exactly as typed, with {@code --backend libusb} on a real Linux kernel (issue
 * 14): one QEMU boot whose guest ({@link UsbdToolGuest}) runs the launcher from the run's share directory,
 * each command a cold JVM with the tool's shipped logging. QEMU's usb-audio behind the guest's xHCI gets
 * {@code usbd play --volume 8} and {@code usbd stream}, a second one behind its UHCI controller (a
 * full-speed controller with its own frame list) {@code usbd play --volume 8}, each checked bit-exact in
 * its wav capture. Over
 * USB/IP (the guest's vhci-hcd, {@code UsbIpMain --stdio} behind a restricted guestfwd), the simulated
 * loopback gets {@code usbd loopback-test}, the simulated microphone {@code usbd record} and the simulated
 * camera {@code usbd camera}; the files are checked against what the models sent. The USB/IP device
 * server keeps real time and reports a packet that came too late for its frame as failed, which a busy
 * host makes happen now and then: those steps allow {@value #USBIP_MAX_ERRORS} lost packets, and the
 * checks hold the tool's count of them to what the files show. {@code usbd list} shows both kinds of device. Each command waits for its
 * device on the backend's events, right after {@code usbip attach}. Skips without QEMU, a kernel and usbip
 * unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class UsbdToolRealKernelIT {
    /** Audio frames (48 per 1 ms packet) of the WAV file {@code usbd play} plays. */
    static final int PLAY_FRAMES = 48 * 1000;
    /** Packets of 192 bytes (48 frames) of pattern {@code usbd stream} sends to usb-audio. */
    static final int STREAM_PACKETS = 500;
    /**
     * 100 ms of silence after each file's pattern: QEMU's usb-audio drops what it still buffers when the
     * alternate setting goes back to 0, which the tool does as soon as its last transfer completes, so the
     * last few milliseconds of a stream may never reach the capture. They are silence, which the check
     * allows between and after segments; every pattern frame must still arrive.
     */
    static final int TAIL_PACKETS = 100;
    /** Packets the USB/IP steps may lose to a busy host (late for their frame), of 2000 to 4000. */
    static final int USBIP_MAX_ERRORS = 100;
    /**
     * Packets {@code usbd play} behind UHCI may lose, of 1100: QEMU's UHCI runs its frame list from a timer and,
     * when the emulator falls behind on a busy host, skips frames, whose packets the guest's kernel then reports
     * failed (seen: 8 under load 4.6). The tool counts them, and the capture check holds every packet it did
     * not count as lost to the pattern.
     */
    static final int UHCI_MAX_ERRORS = 100;
    /** Frames per direction of {@code usbd loopback-test}. */
    static final int LOOPBACK_FRAMES = 2000;
    /** Seconds {@code usbd record} records. */
    static final double RECORD_SECONDS = 2;
    /** {@code usbd record} of 600 s gets SIGINT this long after it started streaming. */
    static final long INTERRUPT_AFTER_MS = 1500;
    /** Video frames {@code usbd camera} captures. */
    static final int CAMERA_FRAMES = 3;

    /** The unplug steps pull the device this long after the command started streaming. */
    static final long UNPLUG_AFTER_MS = 1500;
    /**
     * The longest a command may take to end after its device was pulled, on TCG: the tool sees the departure
     * in the transfers that fail and on the hot-plug events, and must not wait out a timeout (its stall
     * timeout is 15 s).
     */
    static final long UNPLUG_TO_EXIT_MAX_MS = 5000;
    /** What a target file holds before a run that must leave it as it was. */
    static final String UNTOUCHED = "not a WAV file: a run that recorded nothing leaves it as it was\n";
    /**
     * {@code -Dusbd4j.toolSteps=unplug} boots the guest for the unplug steps alone (a quicker run while working
     * on them); the other tests are then skipped.
     */
    static final String STEPS = System.getProperty("usbd4j.toolSteps", "all");

    static final WavPattern PLAY = new WavPattern(13, 3, 17, 0x1234);
    static final WavPattern STREAM = new WavPattern(9, 4, 23, 0x0f0f);

    private static RealKernelRun run;
    private static Path share;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(true);
        Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path input = module.resolve("target").resolve("realkernel-input").resolve("UsbdToolRealKernelIT");
        Files.createDirectories(input);
        Path wav = input.resolve("play.wav");
        new WavFile(48_000, 2, 16, pcm(PLAY, PLAY_FRAMES, TAIL_PACKETS * 48)).write(wav);
        Path raw = input.resolve("stream.raw");
        Files.write(raw, pcm(STREAM, STREAM_PACKETS * 48, TAIL_PACKETS * 48));

        QemuGuest.Builder b = QemuGuest.builder("UsbdToolRealKernelIT");
        share = b.runDir().resolve("share");
        QemuGuest g = b.mainClass(UsbdToolGuest.class.getName())
                .uhciAudio()
                .args(module.getParent().toString(), wav.toString(), raw.toString(), STEPS)
                .usbIpServer(
                        "--device", "loopback", "--device", "microphone", "--device", "camera", "--seconds", "1500")
                // ten cold JVMs under TCG: about 4 min on an idle 2-core host, 10 on a busy one
                .timeout(Duration.ofMinutes(20))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
    }

    /** {@code frames} frames of the pattern, then {@code silent} zero frames. */
    static byte[] pcm(WavPattern p, int frames, int silent) {
        ByteBuffer b = ByteBuffer.allocate((frames + silent) * 4);
        p.fill(b, 0, frames);
        return b.array();
    }

    /**
     * {@code usbd play --volume 8} (xHCI and UHCI) and {@code usbd stream} to usb-audio exit 0; behind xHCI
     * nothing is lost, behind UHCI at most {@value #UHCI_MAX_ERRORS} packets, which the summary states.
     */
    @Test
    void playAndStreamOut_exit0_noneLost() {
        assumeAllSteps();
        for (String step : List.of("tool-play", "tool-stream-out")) {
            run.assertPassed(step);
            assertThat(run.info(step)).anyMatch(l -> l.startsWith("result: ") && l.contains("none lost: exit 0"));
        }
        run.assertPassed("tool-play-uhci");
        long lost = lost("tool-play-uhci");
        assertThat(lost).isLessThanOrEqualTo(UHCI_MAX_ERRORS);
        assertThat(run.info("tool-play-uhci"))
                .anyMatch(l -> l.startsWith("result: ")
                        && (lost == 0
                                ? l.contains("none lost: exit 0")
                                : l.contains(lost + " of 1100 packets lost") && l.endsWith(": exit 0")));
    }

    /**
     * Every sample of the WAV file, then every byte of the raw file, reached the device bit-exact: the
     * tool's {@code --volume 8} set QEMU's volume to unity (nothing else in the guest sets it).
     */
    @Test
    void wavCapture_holdsThePlayedFileThenTheStreamedFileBitExact() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-play");
        run.assertPassed("tool-stream-out");
        List<String> report = WavPattern.verify(
                Files.readAllBytes(run.guest.wav()),
                List.of(
                        new WavPattern.Segment(PLAY, PLAY_FRAMES),
                        new WavPattern.Segment(STREAM, STREAM_PACKETS * 48L)));
        report.forEach(l -> System.out.println("  wav: " + l));
    }

    /**
     * The WAV file reached the usb-audio behind UHCI bit-exact, with the volume the tool set: every packet the
     * tool did not count as lost is in the capture, in order.
     */
    @Test
    void uhciCapture_holdsThePlayedFileBitExact() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-play-uhci");
        List<String> report = WavPattern.verify(
                Files.readAllBytes(run.guest.uhciWav()),
                List.of(new WavPattern.Segment(PLAY, PLAY_FRAMES)),
                48,
                lost("tool-play-uhci"));
        report.forEach(l -> System.out.println("  uhci wav: " + l));
    }

    /**
     * {@code usbd list} shows both usb-audio devices (the same VID:PID: its {@code usbd stream} lines name
     * their location) and the USB/IP loopback, with their iso alternate settings.
     */
    @Test
    void list_showsTheAudioDeviceAndTheLoopbackWithTheirIsoAlternateSettings() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-list");
        String list = Files.readString(share.resolve("list.txt"), StandardCharsets.UTF_8);
        assertThat(list)
                .containsPattern(
                        "(?s)46f4:0002 QEMU QEMU USB Audio \\(full speed, libusb:.*46f4:0002 QEMU QEMU USB Audio")
                .contains("UAC1 format: PCM, 2 ch, 16 bit, 48000 Hz")
                .contains("feature unit 2 (mute, volume)")
                .contains("endpoint 0x01 OUT isochronous, synchronous, data: wMaxPacketSize 0x00C0 = 192 bytes,"
                        + " every 1 ms (bInterval 1): 192 bytes per service interval")
                .containsPattern(
                        "(?s)usbd --backend libusb stream --device 46f4:0002@\\d+-\\d+ --interface 1 --alt 1 --endpoint"
                                + " 0x01.*usbd --backend libusb stream --device 46f4:0002@\\d+-\\d+ --interface 1")
                .contains("1209:0001 usbd4j Loopback FS (full speed, libusb:")
                .contains("interface 0 alt 1: class 0xFF/0x00/0x00 Vendor Specific, 2 endpoints")
                .contains("interface 0 alt 2: class 0xFF/0x00/0x00 Vendor Specific, 2 endpoints")
                .contains("endpoint 0x81 IN isochronous, asynchronous, data: wMaxPacketSize 0x0200 = 512 bytes")
                .contains("WinUSB: WinUsb_SetCurrentAlternateSetting(1); WinUsb_RegisterIsochBuffer(0x81);"
                        + " WinUsb_ReadIsochPipeAsap")
                .doesNotContain("UAC1 Speaker");
    }

    /**
     * {@code usbd loopback-test} over USB/IP: every packet that went out came back as sent (none
     * different), and the tool counted what the bus lost.
     */
    @Test
    void loopbackTest_overUsbIp_everyPacketThatWentOutComesBackAsSent() {
        assumeAllSteps();
        run.assertPassed("tool-loopback-test");
        assertThat(run.info("tool-loopback-test"))
                .anyMatch(l -> l.startsWith("result: ") && l.endsWith(": exit 0"))
                .noneMatch(l -> l.contains("came back different"));
    }

    /** The packets the tool said a step lost, from its result line. */
    private static long lost(String step) {
        for (String l : run.info(step)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("result: (\\d+) of \\d+ packets lost")
                    .matcher(l);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
            if (l.startsWith("result: ") && l.contains("none lost")) {
                return 0;
            }
        }
        throw new AssertionError("no result line for " + step + ": " + run.info(step));
    }

    /**
     * {@code usbd record} from the simulated microphone over USB/IP: a WAV in the device's format of the
     * asked length less the packets the tool said were lost, every 1 ms packet the one the model sent in
     * some frame, in frame order.
     */
    @Test
    void record_overUsbIp_holdsWhatTheMicrophoneSent() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-record");
        WavFile wav = WavFile.read(share.resolve("rec.wav"));
        assertThat(wav.sampleRate()).isEqualTo(48_000);
        assertThat(wav.channels()).isEqualTo(1);
        assertThat(wav.bitsPerSample()).isEqualTo(16);
        long lost = lost("tool-record");
        assertThat(lost).isLessThanOrEqualTo(USBIP_MAX_ERRORS);
        int packets = (int) (RECORD_SECONDS * 1000 - lost);
        assertThat(wav.pcm()).hasSize(packets * Uac1Microphone.BYTES_PER_FRAME);
        long skipped = assertPacketsTheMicrophoneSent(wav.pcm(), packets);
        System.out.println("  record: " + packets + " packets as sent, in order; " + lost
                + " lost; frames the host did not ask for: " + skipped);
    }

    /**
     * {@code usbd record} stopped by SIGINT (Ctrl-C) halfway, on the libusb backend: exit 130, a result line
     * that says a signal stopped it, and a WAV that holds exactly the packets the summary counted as
     * delivered, each one the microphone sent, in order.
     */
    @Test
    void record_stoppedByCtrlC_exits130_andTheFileHoldsWhatTheSummarySays() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-record-interrupted"); // the guest step requires exit 130 and no stack trace
        List<String> info = run.info("tool-record-interrupted");
        assertThat(info).anyMatch(l -> l.startsWith("result: stopped by a signal; "));
        String result =
                info.stream().filter(l -> l.startsWith("result: ")).findFirst().orElseThrow();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:(\\d+) of )?(\\d+) packets(?:, none)? lost")
                .matcher(result);
        assertThat(m.find()).as(result).isTrue();
        long counted = Long.parseLong(m.group(2));
        long lost = m.group(1) == null ? 0 : Long.parseLong(m.group(1));
        assertThat(counted - lost)
                .as("stopped halfway: some packets, far fewer than 600 s worth")
                .isPositive()
                .isLessThan(600_000);
        WavFile wav = WavFile.read(share.resolve("rec-interrupted.wav"));
        assertThat(wav.pcm()).hasSize((int) (counted - lost) * Uac1Microphone.BYTES_PER_FRAME);
        assertThat(info)
                .anyMatch(l -> l.startsWith("recorded rec-interrupted.wav: "
                        + (counted - lost) * (Uac1Microphone.BYTES_PER_FRAME / 2) + " samples"));
        assertPacketsTheMicrophoneSent(wav.pcm(), (int) (counted - lost));
    }

    /**
     * Each of the first {@code packets} 1 ms packets of {@code pcm} is one the microphone sent, in frame order.
     *
     * @return the frames between them that the host did not ask for
     */
    private static long assertPacketsTheMicrophoneSent(byte[] pcm, int packets) {
        long previous = -1;
        long skipped = 0;
        for (int k = 0; k < packets; k++) {
            byte[] got = Arrays.copyOfRange(
                    pcm, k * Uac1Microphone.BYTES_PER_FRAME, (k + 1) * Uac1Microphone.BYTES_PER_FRAME);
            // the packet of frame f starts with f * 48 (mod 2^16): find the f after the previous one
            long f = previous + 1;
            while (!Arrays.equals(got, Uac1Microphone.expectedPacket(f)) && f < previous + 70_000) {
                f++;
            }
            assertThat(got)
                    .as("packet %d is a packet the microphone sent, after frame %d", k, previous)
                    .isEqualTo(Uac1Microphone.expectedPacket(f));
            skipped += previous < 0 ? 0 : f - previous - 1;
            previous = f;
        }
        return skipped;
    }

    /** {@code usbd camera} from the simulated camera over USB/IP: every saved frame is one the camera sent. */
    @Test
    void camera_overUsbIp_savesTheFramesTheCameraSent() throws Exception {
        assumeAllSteps();
        run.assertPassed("tool-camera");
        Path frames = share.resolve("frames");
        List<Path> raw;
        try (Stream<Path> s = Files.list(frames)) {
            raw = s.filter(p -> p.toString().endsWith(".yuy2")).sorted().toList();
        }
        assertThat(raw).hasSize(CAMERA_FRAMES);
        for (Path f : raw) {
            assertCameraFrame(Files.readAllBytes(f), f);
        }
        try (Stream<Path> s = Files.list(frames)) {
            assertThat(s.filter(p -> p.toString().endsWith(".part")))
                    .as("no temporary file left")
                    .isEmpty();
        }
    }

    /** A whole frame the camera sent, with its PGM beside it. */
    private static void assertCameraFrame(byte[] got, Path f) throws java.io.IOException {
        {
            assertThat(got).hasSize(UvcCamera.FRAME_SIZE);
            long n = got[1] & 0xFF; // every U sample of frame n is n & 0xFF
            boolean sent = false;
            for (long m = n; m < n + 4096 && !sent; m += 256) {
                sent = Arrays.equals(got, UvcCamera.expectedFrame(m));
            }
            assertThat(sent)
                    .as("%s is a frame the camera sent", f.getFileName())
                    .isTrue();
            Path pgm = Path.of(f.toString().replace(".yuy2", ".pgm"));
            assertThat(Files.readAllBytes(pgm)).startsWith("P5\n160 120\n255\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void assumeAllSteps() {
        assumeTrue(STEPS.equals("all"), "-Dusbd4j.toolSteps=" + STEPS);
    }

    /** The unplug steps of {@link UsbdToolGuest#unplugSteps}, each pulled mid-stream. */
    static final List<String> UNPLUG_STEPS = List.of(
            "tool-unplug-camera",
            "tool-unplug-record",
            "tool-unplug-loopback-test",
            "tool-unplug-stream-in",
            "tool-unplug-stream-out");

    /**
     * A device pulled mid-stream ({@code usbip detach}, as the guest kernel sees an unplug): every command
     * exits 4 (the device left, an I/O error, whatever was lost), its result line says so and counts the
     * packets it owed as lost (never "none lost"), and it ends within {@value #UNPLUG_TO_EXIT_MAX_MS} ms of the
     * detach (site page usbd.html, "Results and exit codes").
     */
    @Test
    void unplugMidStream_exits4_saysTheDeviceLeft_countsTheLostPackets_andEndsPromptly() {
        List<String> times = new java.util.ArrayList<>();
        for (String step : UNPLUG_STEPS) {
            run.assertPassed(step); // the guest step requires exit 4 and no stack trace
            List<String> info = run.info(step);
            String result = info.stream()
                    .filter(l -> l.startsWith("result: "))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(step + ": no result line: " + info));
            assertThat(result)
                    .as(step)
                    .startsWith("result: the device left mid-stream; ")
                    .doesNotContain("none lost")
                    .containsPattern("\\d+ of \\d+ packets lost \\(.*never ran \\d+")
                    .endsWith(": exit 4 (io error)");
            long ms = unplugToExit(step);
            times.add(step + " " + ms + " ms");
            assertThat(ms).as("%s: ms from the detach to the end", step).isLessThanOrEqualTo(UNPLUG_TO_EXIT_MAX_MS);
        }
        System.out.println("  unplug-to-exit: " + times);
    }

    private static long unplugToExit(String step) {
        for (String l : run.info(step)) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("unplug-to-exit (\\d+) ms").matcher(l);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        throw new AssertionError("no unplug-to-exit time for " + step + ": " + run.info(step));
    }

    /** The counts of a result line: packets lost (0 for none) and packets counted. */
    private static long[] counts(String step) {
        String result = run.info(step).stream()
                .filter(l -> l.startsWith("result: "))
                .findFirst()
                .orElseThrow();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:(\\d+) of )?(\\d+) packets(?:, none)? lost")
                .matcher(result);
        assertThat(m.find()).as(result).isTrue();
        return new long[] {m.group(1) == null ? 0 : Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * {@code usbd record} unplugged mid-stream: the WAV is put in place with what arrived, exactly the packets
     * the summary did not count as lost, each one the microphone sent, in order.
     */
    @Test
    void recordUnplugged_theWavHoldsWhatArrived() throws Exception {
        run.assertPassed("tool-unplug-record");
        long[] c = counts("tool-unplug-record");
        long delivered = c[1] - c[0];
        assertThat(delivered).as("some packets arrived before the unplug").isPositive();
        WavFile wav = WavFile.read(share.resolve("rec-unplug.wav"));
        assertThat(wav.pcm()).hasSize((int) delivered * Uac1Microphone.BYTES_PER_FRAME);
        assertThat(run.info("tool-unplug-record"))
                .anyMatch(l -> l.startsWith(
                        "recorded rec-unplug.wav: " + delivered * (Uac1Microphone.BYTES_PER_FRAME / 2) + " samples"));
        assertPacketsTheMicrophoneSent(wav.pcm(), (int) delivered);
        assertNoTemporaryFiles(share);
    }

    /**
     * {@code usbd stream} IN unplugged mid-stream: the file is put in place with the IN data that arrived,
     * the bytes the tool said it wrote, packets the microphone sent.
     */
    @Test
    void streamInUnplugged_theFileHoldsWhatArrived() throws Exception {
        run.assertPassed("tool-unplug-stream-in");
        String streamed = run.info("tool-unplug-stream-in").stream()
                .filter(l -> l.startsWith("streamed "))
                .findFirst()
                .orElseThrow();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(", (\\d+) bytes of IN data written to")
                .matcher(streamed);
        assertThat(m.find()).as(streamed).isTrue();
        byte[] got = Files.readAllBytes(share.resolve("stream-in-unplug.raw"));
        assertThat((long) got.length).isEqualTo(Long.parseLong(m.group(1)));
        assertThat(got.length % Uac1Microphone.BYTES_PER_FRAME).isZero();
        long[] c = counts("tool-unplug-stream-in");
        assertThat((long) got.length / Uac1Microphone.BYTES_PER_FRAME).isEqualTo(c[1] - c[0]);
        assertPacketsTheMicrophoneSent(got, got.length / Uac1Microphone.BYTES_PER_FRAME);
    }

    /** {@code usbd camera} unplugged mid-stream: the frames it said it saved, each whole and one the camera sent. */
    @Test
    void cameraUnplugged_savesOnlyWholeFramesTheCameraSent() throws Exception {
        run.assertPassed("tool-unplug-camera");
        String captured = run.info("tool-unplug-camera").stream()
                .filter(l -> l.startsWith("captured "))
                .findFirst()
                .orElseThrow();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("^captured (\\d+) complete").matcher(captured);
        assertThat(m.find()).as(captured).isTrue();
        int n = Integer.parseInt(m.group(1));
        Path frames = share.resolve("frames-unplug");
        List<Path> raw = List.of();
        if (Files.isDirectory(frames)) {
            try (Stream<Path> s = Files.list(frames)) {
                raw = s.filter(p -> p.toString().endsWith(".yuy2")).sorted().toList();
            }
            assertNoTemporaryFiles(frames);
        }
        assertThat(raw).hasSize(n);
        for (Path f : raw) {
            assertCameraFrame(Files.readAllBytes(f), f);
        }
    }

    /**
     * The microphone leaves as soon as the kernel configured it, while {@code usbd record} takes it: exit 3 (it
     * never saw it) or 4 (it left while opening or streaming), promptly, and a target that was never streamed to
     * as it was.
     */
    @Test
    void unplugWhileOpening_exits3or4_andLeavesTheTargetAsItWas() throws Exception {
        run.assertPassed("tool-unplug-while-opening"); // exit 3 or 4, no stack trace
        List<String> info = run.info("tool-unplug-while-opening");
        System.out.println("  unplug while opening: " + info);
        assertThat(unplugToExit("tool-unplug-while-opening"))
                .as("ms from the detach to the end: at most the step's --wait 15 (exit 3), not a hang")
                .isLessThanOrEqualTo(15_000 + UNPLUG_TO_EXIT_MAX_MS);
        if (info.stream().noneMatch(l -> l.startsWith("recorded "))) {
            assertThat(Files.readString(share.resolve("rec-opening.wav"), StandardCharsets.US_ASCII))
                    .isEqualTo(UNTOUCHED);
        }
        assertNoTemporaryFiles(share);
    }

    /** No device with the VID:PID ever appears: exit 3 after {@code --wait}, in one line, the target as it was. */
    @Test
    void deviceThatNeverAppears_exits3_afterWait_andLeavesTheTargetAsItWas() throws Exception {
        run.assertPassed("tool-never-appears"); // exit 3, no stack trace
        assertThat(run.info("tool-never-appears"))
                .anyMatch(l -> l.startsWith("stderr: ") && l.contains("no device 1209:00ee appeared within 2"));
        assertThat(Files.readString(share.resolve("never.wav"), StandardCharsets.US_ASCII))
                .isEqualTo(UNTOUCHED);
    }

    private static void assertNoTemporaryFiles(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.filter(p -> p.toString().endsWith(".part")))
                    .as("no temporary file left in %s", dir)
                    .isEmpty();
        }
    }
}
