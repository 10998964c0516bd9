package io.github.usbd4j.samples.uvc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.UvcCamera;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The UVC driver against the simulated camera on a high-speed bus, in virtual time. */
class UvcCameraDriverTest {

    @Test
    void reassemblesFramesByteExactAndSavesThem(@TempDir Path dir) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        UvcCameraDriver d = new UvcCameraDriver(1, 5, dir, true) {
            @Override
            protected void onVideoFrame(long n, byte[] frame, boolean complete) {
                if (complete) {
                    frames.add(frame);
                }
                super.onVideoFrame(n, frame, complete);
            }
        };
        try (SimBus bus = new SimBus(UsbSpeed.HIGH, 1)) {
            bus.register("Camera", UvcCameraDriver.settings(), d);
            bus.attach(new UvcCamera());
            assertThat(bus.runUntil(d::isFinished, 1_000)).isTrue();
        }
        assertThat(d.width()).isEqualTo(160);
        assertThat(d.height()).isEqualTo(120);
        assertThat(d.frameSize()).isEqualTo(UvcCamera.FRAME_SIZE);
        assertThat(d.completeFrames()).isEqualTo(5);
        assertThat(d.incompleteFrames()).isZero();
        for (int n = 0; n < 5; n++) {
            assertThat(frames.get(n)).as("video frame %d", n).isEqualTo(UvcCamera.expectedFrame(n));
        }
        byte[] pgm = Files.readAllBytes(dir.resolve("frame-0002.pgm"));
        assertThat(new String(pgm, 0, 15, java.nio.charset.StandardCharsets.US_ASCII))
                .startsWith("P5\n160 120\n255\n");
        assertThat(Files.readAllBytes(dir.resolve("frame-0004.yuy2"))).isEqualTo(UvcCamera.expectedFrame(4));
        assertThat(d.stats().errorFrames()).isZero();
    }

    @Test
    void highBandwidthAlternateSetting() {
        UvcCameraDriver d = new UvcCameraDriver(3, 3, null, false);
        try (SimBus bus = new SimBus(UsbSpeed.HIGH, 1)) {
            bus.register("Camera", UvcCameraDriver.settings(), d);
            bus.attach(new UvcCamera());
            assertThat(bus.runUntil(d::isFinished, 1_000)).isTrue();
        }
        assertThat(d.completeFrames()).isEqualTo(3);
        assertThat(d.incompleteFrames()).isZero();
        assertThat(d.streams().get(0).maxFrameLength()).isEqualTo(3 * 1024);
    }
}
