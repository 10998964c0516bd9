package io.github.usbd4j.host;

import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue item 4b: mutated configuration descriptors through the parser and then, when it accepts them,
 * through a simulated device that serves them: {@code SetInterface} of every setting and {@code OpenPipe}
 * of every endpoint. The parser answers only {@link DescriptorException}; what it accepts, the endpoint
 * helpers and {@code OpenPipe} take without an exception ({@code OpenPipe} may answer {@code NULL} with
 * {@code ERROR_INVALID_PARAMETER} or {@code ERROR_BUSY} only). Seeded: {@code -Dusbd4j.fuzz.seed} replays,
 * {@code -Dusbd4j.fuzz.seconds} (2 by default) bounds it; it prints how many cases it tried.
 */
class DescriptorOpenPipeFuzzTest {
    private static final long SEED = Long.getLong("usbd4j.fuzz.seed", 0xDE5C0L);
    private static final double SECONDS = Double.parseDouble(System.getProperty("usbd4j.fuzz.seconds", "2"));
    private static final int[] INTERESTING = {0, 1, 2, 3, 7, 9, 16, 17, 32, 128, 255, 0x80, 0xC0, 0x10, 0x7F};

    private static List<byte[]> bases() {
        byte[] interrupt = ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0xFF, 0, 0)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, 64, 4)
                .endpoint(0x02, Usb100.USB_ENDPOINT_TYPE_BULK, 512, 0)
                .iface(0, 1, 0xFF, 0, 0)
                .endpoint(0x83, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, 0x1400, 1)
                .build();
        return List.of(
                LoopbackDevice.highSpeed().configurationDescriptors().get(0),
                LoopbackDevice.fullSpeed().configurationDescriptors().get(0),
                interrupt);
    }

    @Test
    void mutatedDescriptorsThroughTheParserThenOpenPipeAndSetInterface() {
        Random rnd = new Random(SEED);
        List<byte[]> bases = bases();
        long deadline = System.nanoTime() + (long) (SECONDS * 1e9);
        int cases = 0;
        int parsed = 0;
        int devices = 0;
        int pipes = 0;
        do {
            byte[] b = bases.get(rnd.nextInt(bases.size())).clone();
            int mutations = 1 + rnd.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                int at = rnd.nextInt(b.length);
                b[at] = (byte) (rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : rnd.nextInt(256));
            }
            cases++;
            UsbConfiguration config;
            try {
                config = Descriptors.parseConfiguration(b);
            } catch (DescriptorException e) {
                continue; // the parser's one answer for a malformed configuration
            }
            parsed++;
            UsbSpeed speed = rnd.nextBoolean() ? UsbSpeed.HIGH : UsbSpeed.FULL;
            for (UsbInterface i : config.interfaces()) {
                for (UsbEndpoint e : i.endpoints()) {
                    // what the parser accepted, the helpers take at a speed where the rule holds
                    if (Endpoints.problem(e.descriptor(), speed) == null
                            && e.descriptor().transferType() % 2 == 1) {
                        Endpoints.servicePeriod(e.descriptor(), speed);
                        Endpoints.bytesPerServiceInterval(e, speed);
                    }
                }
            }
            if (devices < 40 || rnd.nextInt(20) == 0) { // a runtime per device: fewer of these
                devices++;
                pipes += throughOpenPipe(new TestModels.Raw(speed, b), config, b);
            }
        } while (System.nanoTime() < deadline);
        System.out.printf(
                "DescriptorOpenPipeFuzzTest: %d mutated configurations (seed %#x), %d parsed, %d served by a"
                        + " simulated device, %d pipes opened%n",
                cases, SEED, parsed, devices, pipes);
        assertThat(devices).isPositive();
    }

    private static int throughOpenPipe(TestModels.Raw model, UsbConfiguration config, byte[] bytes) {
        int opened = 0;
        String what = java.util.HexFormat.of().formatHex(bytes);
        try (CeHost h = CeHost.with(model)) {
            for (UsbInterface i : config.interfaces()) {
                int number = i.descriptor().bInterfaceNumber();
                int alt = i.descriptor().bAlternateSetting();
                UsbTransfer t = h.f.setInterface(h.device, null, null, 0, number, alt);
                if (t == null) {
                    assertThat(Win32.getLastError())
                            .as("SetInterface %d/%d of %s", number, alt, what)
                            .isIn(ERROR_INVALID_PARAMETER, ERROR_TIMEOUT, ERROR_GEN_FAILURE);
                    continue;
                }
                h.f.closeTransfer(t);
                for (UsbEndpoint e : i.endpoints()) {
                    UsbPipe p = h.f.openPipe(h.device, e.descriptor());
                    if (p == null) {
                        assertThat(Win32.getLastError())
                                .as("OpenPipe %s of %s", e.descriptor(), what)
                                .isIn(Set.of(ERROR_INVALID_PARAMETER, ERROR_BUSY)
                                        .toArray());
                        continue;
                    }
                    opened++;
                    assertThat(h.f.closePipe(p)).isTrue();
                }
            }
        }
        return opened;
    }
}
