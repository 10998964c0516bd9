package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.capture.CaptureReader;
import io.github.usbd4j.capture.Tshark;
import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.capture.UsbmonRecord;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.samples.iso.GenericStreamDriver;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Capture and replay against a real Linux kernel (issue 16): in one QEMU boot the guest kernel's own
 * usbmon captures {@code usbd stream --backend libusb --capture} streaming to QEMU's usb-audio over xHCI
 * ({@link CaptureGuest}). On the host: our capture of the run carries the same OUT packets, byte for byte,
 * as the kernel's; the kernel's capture, replayed, is the same device for {@code usbd list --replay} as
 * the one our capture shows, answers the volume requests it saw, and takes a driver's stream byte-exact.
 * Skips without QEMU and a kernel unless {@code USBD4J_REQUIRE_REAL_KERNEL=1}.
 */
class CaptureRealKernelIT {
    /** Packets of 192 bytes streamed to usb-audio. */
    static final int PACKETS = 300;

    private static RealKernelRun run;
    private static byte[] stream;
    private static Path ours;
    private static Path usbmon;

    @BeforeAll
    static void boot() throws Exception {
        RealKernel.assumeReady(false);
        Path input = Path.of(System.getProperty("basedir", "."), "target", "realkernel-input", "CaptureRealKernelIT")
                .toAbsolutePath();
        Files.createDirectories(input);
        stream = new byte[PACKETS * 192];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = (byte) (i * 13 + (i / 192) * 5 + 3); // differs from packet to packet
        }
        Path raw = input.resolve("stream.raw");
        Files.write(raw, stream);
        QemuGuest.Builder b = QemuGuest.builder("CaptureRealKernelIT");
        ours = b.runDir().resolve("share").resolve("ours.pcapng");
        usbmon = b.runDir().resolve("share").resolve("usbmon.pcap");
        QemuGuest g = b.mainClass(CaptureGuest.class.getName())
                .args(raw.toString(), ours.toString(), usbmon.toString())
                .timeout(Duration.ofMinutes(4))
                .build();
        run = new RealKernelRun(g, g.run());
        run.assertBooted();
        run.assertPassed("usbmon-start");
        run.assertPassed("re-enumerate");
        run.assertPassed("tool-stream-capture");
        run.assertPassed("usbmon-stop");
    }

    /** The iso OUT packets to endpoint 1 of the device with this VID:PID, in submission order. */
    private static List<byte[]> outPackets(List<UsbmonRecord> records) {
        int[] audio = audioDevice(records);
        List<byte[]> packets = new ArrayList<>();
        for (UsbmonRecord r : records) {
            if (r.type() == Usbmon.SUBMIT
                    && r.xferType() == Usbmon.XFER_ISOCHRONOUS
                    && r.endpoint() == 0x01
                    && r.bus() == audio[0]
                    && r.device() == audio[1]) {
                for (int k = 0; k < r.iso().size(); k++) {
                    packets.add(r.isoPacketData(k));
                }
            }
        }
        return packets;
    }

    /** Bus and address of usb-audio: the device whose device descriptor says 46f4:0002. */
    private static int[] audioDevice(List<UsbmonRecord> records) {
        int[] found = null;
        for (UsbmonRecord r : records) {
            byte[] d = r.data();
            if (r.type() == Usbmon.COMPLETE
                    && r.xferType() == Usbmon.XFER_CONTROL
                    && r.device() != 0 // the enumeration's first request, before SET_ADDRESS
                    && d.length >= 18
                    && d[1] == 1
                    && (d[8] & 0xFF) == 0xF4
                    && d[9] == 0x46) {
                found = new int[] {r.bus(), r.device()};
            }
        }
        if (found == null) {
            throw new AssertionError("no device descriptor of 46f4:0002 in the capture");
        }
        return found;
    }

    @Test
    void ourCapture_carriesTheSameOutPacketsAsTheKernelsUsbmon() throws Exception {
        List<byte[]> kernel = outPackets(CaptureReader.read(usbmon));
        List<byte[]> mine = outPackets(CaptureReader.read(ours));
        assertThat(mine).as("packets in our capture").hasSize(PACKETS);
        assertThat(kernel).as("packets in the kernel's").hasSize(PACKETS);
        for (int k = 0; k < PACKETS; k++) {
            assertThat(mine.get(k)).as("packet %d", k).isEqualTo(kernel.get(k));
            assertThat(mine.get(k)).as("packet %d is the file's", k).isEqualTo(slice(stream, k));
        }
    }

    @Test
    void bothCaptures_readInTshark_withoutWarnings() throws Exception {
        Tshark.assume();
        assertThat(Tshark.problems(usbmon)).isEmpty();
        assertThat(Tshark.problems(ours)).isEmpty();
    }

    @Test
    void kernelCapture_replayed_isTheSameDeviceForUsbdList() throws Exception {
        String fromKernel = usbd("list", "--replay", usbmon.toString());
        String fromOurs = usbd("list", "--replay", ours.toString());
        assertThat(fromKernel).startsWith("46f4:0002");
        // the interfaces, alternate settings and endpoints; the strings only the kernel's capture holds
        assertThat(fromKernel.substring(fromKernel.indexOf('\n')))
                .isEqualTo(fromOurs.substring(fromOurs.indexOf('\n')));
        assertThat(fromKernel.lines().findFirst().orElseThrow()).doesNotContain("null");
        ReplayDevice a = ReplayDevice.fromCapture(usbmon);
        ReplayDevice b = ReplayDevice.fromCapture(ours);
        assertThat(a.deviceDescriptor()).isEqualTo(b.deviceDescriptor());
        assertThat(a.configurationDescriptors()).containsExactlyElementsOf(b.configurationDescriptors());
        // the volume step's class requests (GET_CUR of the feature unit) are answered as captured
        var getCur = a.control(new UsbDeviceRequest(0xA1, 0x81, 0x0201, 0x0200, 2), ByteBuffer.allocate(0));
        assertThat(getCur.isStall()).isFalse();
        assertThat(a.unansweredRequests()).isEmpty();
    }

    @Test
    void kernelCapture_replayed_takesTheDriversStreamByteExact() throws Exception {
        ReplayDevice replay = ReplayDevice.fromCapture(usbmon);
        GenericStreamDriver d = new GenericStreamDriver(
                new GenericStreamDriver.Spec(1, 1, 0x01, 192, PACKETS, 0, 4, -1, false),
                new ByteArrayInputStream(stream),
                null);
        try (SimBus bus = new SimBus(replay.speed(), 0)) {
            bus.register("Stream", UsbDriverSettings.forVendor(0x46f4, 0x0002), d);
            bus.attach(replay);
            assertThat(d.isAttached()).isTrue();
            bus.runUntil(d::isFinished, PACKETS + 10_000);
        }
        assertThat(replay.receivedOut(0x01)).isEqualTo(stream);
        List<byte[]> kernel = outPackets(CaptureReader.read(usbmon));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        kernel.forEach(captured::writeBytes);
        assertThat(replay.receivedOut(0x01)).isEqualTo(captured.toByteArray());
    }

    private static byte[] slice(byte[] b, int packet) {
        return java.util.Arrays.copyOfRange(b, packet * 192, packet * 192 + 192);
    }

    private static String usbd(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = io.github.usbd4j.samples.tool.UsbdTool.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(args);
        assertThat(rc).as("usbd %s: %s", String.join(" ", args), err).isZero();
        return out.toString();
    }
}
