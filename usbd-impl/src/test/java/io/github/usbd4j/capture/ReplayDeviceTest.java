package io.github.usbd4j.capture;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.UsbTypes.USB_START_ISOCH_ASAP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.CaptureTap;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.sim.Uac1Microphone;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A device captured with a {@code CaptureTap}, replayed on the simulator: the driver cannot tell the difference. */
class ReplayDeviceTest {
    @TempDir
    Path dir;

    /** Reads the microphone's iso IN endpoint: {@code transfers} synchronous 8-frame transfers of 96 bytes. */
    static byte[] recordMicrophone(DeviceModel mic, Path capture, int transfers) throws Exception {
        SimulatedHostController sim =
                SimulatedHostController.builder().speed(UsbSpeed.FULL).build();
        CeCaptureRun.Driver d = new CeCaptureRun.Driver();
        Usbd.Builder b = Usbd.builder().backend(sim);
        if (capture != null) {
            b.capture(CaptureTap.toFile(capture));
        }
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        try (Usbd usbd = b.build()) {
            var dd = mic.deviceDescriptor();
            usbd.registerDriver("Mic", UsbDriverSettings.forVendor(dd.idVendor(), dd.idProduct()), d);
            sim.attach(mic);
            sim.advanceFrames(3);
            UsbFuncs f = d.funcs;
            f.closeTransfer(f.setInterface(d.device, null, null, 0, 1, 1));
            UsbInterface alt = f.findInterface(f.getDeviceInfo(d.device), 1, 1);
            UsbPipe pipe = f.openPipe(d.device, alt.findEndpoint(0x81).descriptor());
            int[] lengths = {96, 96, 96, 96, 96, 96, 96, 96};
            for (int n = 0; n < transfers; n++) {
                ByteBuffer buf = ByteBuffer.allocate(8 * 96);
                UsbTransfer t = f.issueIsochTransfer(
                        pipe,
                        null,
                        null,
                        USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK,
                        0,
                        8,
                        lengths,
                        buf,
                        0);
                int[] len = new int[8];
                f.getIsochResults(t, 8, len, null);
                for (int k = 0; k < 8; k++) {
                    pcm.write(buf.array(), k * 96, len[k]);
                }
                f.closeTransfer(t);
            }
        }
        return pcm.toByteArray();
    }

    @Test
    void capturedMicrophone_replayed_givesTheDriverTheSameSamples() throws Exception {
        Path file = dir.resolve("mic.pcapng");
        byte[] live = recordMicrophone(new Uac1Microphone(), file, 50);
        assertThat(live).hasSize(50 * 8 * 96);
        ReplayDevice replay = ReplayDevice.fromCapture(file);
        assertThat(replay.deviceDescriptor()).isEqualTo(new Uac1Microphone().deviceDescriptor());
        assertThat(replay.configurationDescriptors())
                .containsExactlyElementsOf(new Uac1Microphone().configurationDescriptors());
        assertThat(replay.capturedInData(0x81)).isEqualTo(live);
        byte[] replayed = recordMicrophone(replay, null, 50);
        assertThat(replayed).isEqualTo(live);
        assertThat(replay.unansweredRequests()).isEmpty();
    }

    @Test
    void replayedOnce_endsWithEmptyPackets_loopedStartsAgain() throws Exception {
        Path file = dir.resolve("short.pcapng");
        byte[] live = recordMicrophone(new Uac1Microphone(), file, 4);
        ReplayDevice onceDevice = ReplayDevice.fromCapture(file);
        assertThat(onceDevice.isochronousPacketsPastTheEnd()).isZero();
        byte[] once = recordMicrophone(onceDevice, null, 8);
        assertThat(once).isEqualTo(live);
        assertThat(onceDevice.isochronousPacketsPastTheEnd())
                .as("4 transfers of 8 packets asked for after the capture's 4 ran out")
                .isEqualTo(4 * 8);
        ReplayDevice loopedDevice = ReplayDevice.builder(file).loop(true).build();
        byte[] looped = recordMicrophone(loopedDevice, null, 8);
        assertThat(loopedDevice.isochronousPacketsPastTheEnd()).isZero();
        assertThat(looped).hasSize(2 * live.length);
        assertThat(java.util.Arrays.copyOfRange(looped, live.length, looped.length))
                .isEqualTo(live);
    }

    @Test
    void loopbackRunWithFaults_replayed_reportsTheSameIsochResultsAndData() throws Exception {
        Path file = dir.resolve("loopback.pcapng");
        CeCaptureRun live = CeCaptureRun.run(file, 1L << 30);
        Path again = dir.resolve("replayed.pcapng");
        CeCaptureRun replayed = CeCaptureRun.replay(ReplayDevice.fromCapture(file), again);
        assertThat(replayed.in).hasSameSizeAs(live.in);
        for (int n = 0; n < live.in.size(); n++) {
            assertThat(replayed.in.get(n).lengths())
                    .as("transfer %d lengths", n)
                    .isEqualTo(live.in.get(n).lengths());
            assertThat(replayed.in.get(n).errors())
                    .as("transfer %d errors", n)
                    .isEqualTo(live.in.get(n).errors());
            assertThat(replayed.in.get(n).frameData())
                    .as("transfer %d data", n)
                    .isEqualTo(live.in.get(n).frameData());
        }
    }

    @Test
    void aRequestTheCaptureNeverSaw_stalls_andIsListed() throws Exception {
        Path file = dir.resolve("mic2.pcapng");
        recordMicrophone(new Uac1Microphone(), file, 1);
        ReplayDevice replay = ReplayDevice.fromCapture(file);
        var r = replay.control(new UsbDeviceRequest(0xA1, 0x81, 0x0100, 0x0001, 2), ByteBuffer.allocate(0));
        assertThat(r.isStall()).isTrue();
        assertThat(replay.unansweredRequests())
                .containsExactly("bmRequestType 0xA1 bRequest 0x81 wValue 0x0100 wIndex 0x0001 wLength 2");
    }

    /**
     * The list of unanswered requests is bounded; what it leaves out is counted, so that a report built from it
     * never says "100" when a driver sent more (it used to drop the rest without a trace).
     */
    @Test
    void unansweredRequestsBeyondTheListAreCounted() throws Exception {
        Path file = dir.resolve("mic3.pcapng");
        recordMicrophone(new Uac1Microphone(), file, 1);
        ReplayDevice replay = ReplayDevice.fromCapture(file);
        for (int v = 0; v < ReplayDevice.UNANSWERED_LISTED + 30; v++) {
            replay.control(new UsbDeviceRequest(0xC0, 0x42, v, 0, 0), ByteBuffer.allocate(0));
        }
        replay.control(new UsbDeviceRequest(0xC0, 0x42, 0, 0, 0), ByteBuffer.allocate(0)); // listed: not again
        replay.control(new UsbDeviceRequest(0xC0, 0x42, 200, 0, 0), ByteBuffer.allocate(0)); // unlisted, again
        assertThat(replay.unansweredRequests()).hasSize(ReplayDevice.UNANSWERED_LISTED);
        assertThat(replay.unlistedUnansweredRequests()).isEqualTo(31);
    }

    @Test
    void captureWithoutEnumeration_failsClearly() throws Exception {
        Path file = dir.resolve("empty.pcapng");
        Files.write(file, new byte[] {
            0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, 28,
            0, 0, 0
        });
        assertThatThrownBy(() -> ReplayDevice.fromCapture(file))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("no device's enumeration");
        assertThat(List.of()).isEmpty();
    }
}
