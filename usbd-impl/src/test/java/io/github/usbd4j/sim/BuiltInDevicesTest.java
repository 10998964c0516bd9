package io.github.usbd4j.sim;

import static io.github.usbd4j.host.spi.PacketStatus.OK;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.BackendException;
import io.github.usbd4j.host.spi.BackendTransfer;
import io.github.usbd4j.host.spi.PacketStatus;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in device models, checked byte for byte. */
class BuiltInDevicesTest {

    @Test
    void everyBuiltInDeviceHasWellFormedDescriptorsAndItsOwnId() {
        List<DeviceModel> models = List.of(
                LoopbackDevice.fullSpeed(),
                LoopbackDevice.highSpeed(),
                new Uac1Speaker(),
                new Uac1Microphone(),
                new UvcCamera());
        for (DeviceModel m : models) {
            byte[] config = m.configurationDescriptors().get(0);
            assertThat(((config[2] & 0xFF) | (config[3] & 0xFF) << 8)).isEqualTo(config.length);
            assertThat(ConfigLayout.parse(config).alts).isNotEmpty();
            assertThat(m.deviceDescriptor().idVendor()).isEqualTo(0x1209);
        }
        assertThat(models.stream().map(m -> m.deviceDescriptor().idProduct()).distinct())
                .containsExactly(1, 2, 3, 4);
    }

    @Test
    void speakerRecordsEveryByteWithItsFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.FULL);
        Uac1Speaker speaker = new Uac1Speaker();
        SimulatedDevice d = b.attach(speaker);
        b.setInterface(d, 1, 1);
        assertThat(b.control(
                                d,
                                new io.github.usbd4j.usb.UsbDeviceRequest(0x22, 0x01, 0x0100, 0x01, 3),
                                (byte) 0x44,
                                (byte) 0xAC,
                                (byte) 0)
                        .status())
                .isEqualTo(OK);
        assertThat(speaker.sampleRate()).isEqualTo(44_100);
        ByteBuffer pcm = ByteBuffer.allocate(10 * 192);
        for (int i = 0; i < pcm.capacity(); i++) {
            pcm.put(i, (byte) (i * 13));
        }
        long start = b.host.currentFrame() + 2;
        b.iso(d, 0x01, start, 1, pcm, Bench.lengths(10, 192));
        b.host.advanceFrames(15);
        assertThat(speaker.recordedPcm()).isEqualTo(pcm.array());
        assertThat(speaker.receivedPackets()).hasSize(10);
        for (int k = 0; k < 10; k++) {
            assertThat(speaker.receivedPackets().get(k)).isEqualTo(new Uac1Speaker.Packet(start + k, 192 * k, 192));
        }
    }

    @Test
    void microphoneSendsTheExpectedSamplesForEachFrame() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH); // a full-speed device on a high-speed bus
        SimulatedDevice d = b.attach(new Uac1Microphone());
        b.setInterface(d, 1, 1);
        long start = b.host.currentFrame() + 1;
        ByteBuffer buf = ByteBuffer.allocate(8 * 96);
        BackendTransfer t = b.iso(d, 0x81, start, 1, buf, Bench.lengths(8, 96));
        b.host.advanceFrames(10);
        assertThat(Bench.statuses(t)).containsOnly(OK);
        for (int k = 0; k < 8; k++) {
            byte[] packet = new byte[96];
            buf.get(k * 96, packet);
            assertThat(packet).isEqualTo(Uac1Microphone.expectedPacket(start + k));
        }
        assertThat(Uac1Microphone.expectedSample(start, 1)).isEqualTo((short) (start * 48 + 1));
    }

    @Test
    void cameraStreamsWholeFramesWithFidToggleAndEof() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        UvcCamera camera = new UvcCamera();
        SimulatedDevice d = b.attach(camera);
        byte[] probe = b.controlIn(d, 0xA1, 0x81, 0x0100, 1, 26);
        assertThat(ByteBuffer.wrap(probe)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getInt(18))
                .isEqualTo(UvcCamera.FRAME_SIZE);
        b.setInterface(d, 1, 3);
        int packets = 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(packets * 3072);
        BackendTransfer t = b.iso(d, 0x81, b.host.currentFrame() + 1, 1, buf, Bench.lengths(packets, 3072));
        b.host.advanceFrames(10);
        assertThat(Bench.statuses(t)).containsOnly(OK);

        List<byte[]> frames = new ArrayList<>();
        List<Integer> fids = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        int offset = 0;
        for (int k = 0; k < packets; k++) {
            int n = t.packetActual(k);
            assertThat(buf.get(offset)).isEqualTo((byte) UvcCamera.HEADER_LENGTH);
            int info = buf.get(offset + 1) & 0xFF;
            assertThat(info & UvcCamera.EOH).isNotZero();
            byte[] data = new byte[n - 2];
            buf.get(offset + 2, data);
            current.writeBytes(data);
            if ((info & UvcCamera.EOF) != 0) {
                frames.add(current.toByteArray());
                fids.add(info & UvcCamera.FID);
                current.reset();
            }
            offset += 3072;
        }
        assertThat(frames).hasSizeGreaterThanOrEqualTo(4);
        for (int i = 0; i < frames.size(); i++) {
            assertThat(frames.get(i)).isEqualTo(UvcCamera.expectedFrame(i));
            assertThat(fids.get(i)).isEqualTo(i & 1);
        }
        assertThat(camera.framesSent()).isEqualTo(frames.size());
    }

    @Test
    void cameraAltTwoSendsAtMostTwoTimes800BytesPerMicroframe() throws BackendException {
        Bench b = Bench.of(UsbSpeed.HIGH);
        SimulatedDevice d = b.attach(new UvcCamera());
        b.setInterface(d, 1, 2);
        BackendTransfer t =
                b.iso(d, 0x81, b.host.currentFrame() + 1, 1, ByteBuffer.allocate(8 * 1600), Bench.lengths(8, 1600));
        b.host.advanceFrames(3);
        assertThat(Bench.statuses(t)).containsOnly(PacketStatus.OK);
        assertThat(t.packetActual(0)).isEqualTo(1600);
    }
}
