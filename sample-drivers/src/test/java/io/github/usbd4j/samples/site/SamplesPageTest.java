package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.samples.iso.StreamStats;
import io.github.usbd4j.samples.tool.SimBus;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The subclass walkthrough of src-site/markdown/samples.md: it runs, and the page shows this code. */
class SamplesPageTest {

    @SuppressWarnings("ClassCanBeStatic") // the page shows it as a class of its own
    // snippet:subclass
    class FirstFrames extends IsochStreamingDriver {
        final AtomicLong bad = new AtomicLong();

        @Override
        protected long frameLimit(IsochStream stream) {
            return 100; // the stream ends by itself after 100 frames
        }

        @Override
        protected int transfersInFlight(IsochStream stream) {
            return 2; // double buffering, like USBCAMD2
        }

        @Override
        protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
            if (usbError != UsbTypes.USB_NO_ERROR) {
                bad.incrementAndGet();
            }
        }
    }
    // snippet:end

    @Test
    void theSubclassStopsAfterItsLimitAndCountsTheInjectedFault() {
        try (SimBus bus = new SimBus(UsbSpeed.FULL, 0)) {
            FirstFrames d = new FirstFrames();
            bus.register("FirstFrames", UsbDriverSettings.forVendor(0x1209, 0x0003), d);
            long at = bus.frame() + 40;
            bus.attach(
                    new Uac1Microphone(),
                    FaultPlan.builder().faultAt(at, 0x81, PacketStatus.CRC).build());
            assertThat(bus.runUntil(d::isFinished, 1_000)).isTrue();
            StreamStats s = d.finished().join();
            assertThat(s.frames()).isEqualTo(100);
            assertThat(s.transfers()).isEqualTo(13); // 12 x 8 + 4
            assertThat(s.bytes()).isEqualTo(100L * Uac1Microphone.BYTES_PER_FRAME);
            assertThat(d.bad.get()).isEqualTo(1);
            assertThat(s.errors(UsbTypes.USB_CRC_ERROR)).isEqualTo(1);
        }
    }

    @Test
    void thePageShowsThisCode() throws IOException {
        String page = Files.readString(Path.of("../src-site/markdown/samples.md"), StandardCharsets.UTF_8);
        String source = Files.readString(
                Path.of("src/test/java/io/github/usbd4j/samples/site/SamplesPageTest.java"), StandardCharsets.UTF_8);
        assertThat(page).contains(SimulatedDeviceExampleTest.snippet(source, "subclass"));
    }
}
