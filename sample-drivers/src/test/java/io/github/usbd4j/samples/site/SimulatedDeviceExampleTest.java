package io.github.usbd4j.samples.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTypes;
import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.host.Usbd;
import io.github.usbd4j.host.spi.PacketStatus;
import io.github.usbd4j.samples.iso.ControlRequests;
import io.github.usbd4j.samples.iso.IsochStream;
import io.github.usbd4j.samples.iso.IsochStreamingDriver;
import io.github.usbd4j.sim.ControlResponse;
import io.github.usbd4j.sim.DeviceModel;
import io.github.usbd4j.sim.EndpointHandler;
import io.github.usbd4j.sim.FaultPlan;
import io.github.usbd4j.sim.SimulatedHostController;
import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.usb.UsbInterface;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The "Writing a simulated device" example of the site (src-site/markdown/simulated-devices.md): it runs
 * here, and the page must show exactly the code between the snippet markers.
 */
class SimulatedDeviceExampleTest {

    // snippet:device
    /** A vendor device: iso IN 0x81 sends the bus frame number, then a fill byte set by vendor request 1. */
    static final class CounterDevice extends DeviceModel {
        private volatile int fill;

        @Override
        public UsbSpeed speed() {
            return UsbSpeed.FULL;
        }

        @Override
        public UsbDeviceDescriptor deviceDescriptor() {
            return new UsbDeviceDescriptor(18, 1, 0x0200, 0xFF, 0, 0, 64, 0x1209, 0x7777, 0x0100, 0, 0, 0, 1);
        }

        @Override
        public List<byte[]> configurationDescriptors() {
            return List.of(ConfigurationBuilder.configuration(1, 0x80, 50)
                    .iface(0, 0, 0xFF, 0, 0) // alternate setting 0: no bandwidth
                    .iface(0, 1, 0xFF, 0, 0)
                    .endpoint(0x81, 0x05, 64, 1) // iso IN, asynchronous, 64 bytes every frame
                    .build());
        }

        @Override
        public ControlResponse control(UsbDeviceRequest setup, ByteBuffer dataOut) {
            if (setup.bmRequestType() == 0x40 && setup.bRequest() == 1) { // vendor, host to device
                fill = setup.wValue() & 0xFF;
                return ControlResponse.ack();
            }
            return ControlResponse.stall();
        }

        private final EndpointHandler counter = new EndpointHandler() {
            @Override
            public int in(long frame, int microframe, ByteBuffer dest, int maxLength) {
                if (maxLength < 4) {
                    return 0;
                }
                dest.putInt((int) frame);
                for (int i = 4; i < maxLength; i++) {
                    dest.put((byte) fill);
                }
                return maxLength;
            }
        };

        @Override
        public EndpointHandler endpoint(int address) {
            return address == 0x81 ? counter : null;
        }
    }
    // snippet:end

    // snippet:driver
    /** Its driver: sets the fill byte, streams 100 frames and keeps each frame's first int by bus frame. */
    static final class CounterDriver extends IsochStreamingDriver {
        final Map<Long, Integer> counters = new ConcurrentHashMap<>();
        final Map<Long, Integer> errors = new ConcurrentHashMap<>();

        @Override
        protected boolean configureDevice(UsbFuncs funcs, UsbHandle device, UsbInterface alt) {
            return ControlRequests.issue(funcs, device, new UsbDeviceRequest(0x40, 1, 0x5A, 0, 0), null) == 0;
        }

        @Override
        protected long frameLimit(IsochStream stream) {
            return 100;
        }

        @Override
        protected void onInFrame(IsochStream stream, long index, long busFrame, ByteBuffer data, int usbError) {
            counters.put(busFrame, data.getInt(0));
            if (usbError != UsbTypes.USB_NO_ERROR) {
                errors.put(busFrame, usbError);
            }
        }
    }
    // snippet:end

    @Test
    void theDeviceStreamsAndTheFaultShows() {
        // snippet:run
        SimulatedHostController sim = SimulatedHostController.builder()
                .speed(UsbSpeed.FULL)
                .clockMode(SimulatedHostController.ClockMode.VIRTUAL) // deterministic, as fast as the CPU
                .build();
        try (Usbd usbd = Usbd.builder().backend(sim).build()) {
            CounterDriver driver = new CounterDriver();
            usbd.registerDriver("Counter", UsbDriverSettings.forVendor(0x1209, 0x7777), driver);
            sim.attach(
                    new CounterDevice(),
                    FaultPlan.builder().faultAt(50, 0x81, PacketStatus.CRC).build());
            sim.runUntil(driver::isFinished, 1_000); // virtual time: 1000 frames at most

            assertThat(driver.stats().frames()).isEqualTo(100);
            driver.counters.forEach((busFrame, counter) -> assertThat(counter).isEqualTo(busFrame.intValue()));
            assertThat(driver.errors).containsEntry(50L, UsbTypes.USB_CRC_ERROR);
        }
        // snippet:end
    }

    @Test
    void thePageShowsThisCode() throws IOException {
        String page = Files.readString(Path.of("../src-site/markdown/simulated-devices.md"), StandardCharsets.UTF_8);
        String source = Files.readString(
                Path.of("src/test/java/io/github/usbd4j/samples/site/SimulatedDeviceExampleTest.java"),
                StandardCharsets.UTF_8);
        for (String name : List.of("device", "driver", "run")) {
            assertThat(page).as("snippet %s", name).contains(snippet(source, name));
        }
    }

    /** The lines between {@code // snippet:NAME} and the next {@code // snippet:end}, unindented. */
    static String snippet(String source, String name) {
        int start = source.indexOf("// snippet:" + name + "\n");
        assertThat(start).as("marker %s", name).isNotNegative();
        start = source.indexOf('\n', start) + 1;
        int end = source.lastIndexOf('\n', source.indexOf("// snippet:end", start));
        List<String> lines = source.substring(start, end).lines().toList();
        int indent = lines.stream()
                .filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length())
                .min()
                .orElse(0);
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return b.toString();
    }
}
