package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.descriptor.ConfigurationBuilder;
import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.descriptor.Endpoints;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbEndpointDescriptor;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue A2: one rule for endpoints ({@link Endpoints#problem}), the same in the parser, the endpoint helpers
 * and {@code OpenPipe} ([§1.10](reference/ce-usbd.html#s1-10)). {@code OpenPipe} never throws: endpoint 0, reserved
 * bits and descriptors the device does not have answer {@code NULL} with {@code ERROR_INVALID_PARAMETER}; a high-speed
 * interrupt {@code bInterval} above 16 is read as frames, as Linux does, everywhere.
 */
class CeOpenPipeRulesTest {

    @ParameterizedTest(name = "address 0x{0}, bmAttributes {1}, wMaxPacketSize {2}, bInterval {3}")
    @CsvSource({
        "00, 0, 64, 0", // the default pipe
        "80, 0, 64, 0",
        "80, 3, 64, 240", // the adversarial run's case: threw IllegalArgumentException at high speed
        "00, 3, 64, 1",
        "80, 1, 1024, 1",
        "81, 3, 64, 0", // interrupt bInterval 0
        "81, 1, 1024, 17", // isochronous bInterval 17
        "81, 1, 0x1C00, 1", // reserved transaction count
        "F1, 2, 512, 0", // reserved address bits
        "82, 0xC2, 512, 0", // reserved attribute bits (the device's 0x82 otherwise)
        "85, 2, 512, 0", // not the device's
    })
    void openPipeAnswersInvalidParameterAndNeverThrows(String address, String attributes, String size, int interval) {
        try (CeHost h = CeHost.with(LoopbackDevice.highSpeed())) {
            UsbEndpointDescriptor d = UsbEndpointDescriptor.of(
                    Integer.parseInt(address, 16), Integer.decode(attributes), Integer.decode(size), interval);
            Win32.setLastError(0);
            assertThat(h.f.openPipe(h.device, d)).isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
        }
    }

    @Test
    void theParserAppliesTheSameRule() {
        byte[] config = ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0xFF, 0, 0)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_BULK, 512, 0)
                .build();
        config[9 + 9 + 3] = (byte) 0xC2; // the endpoint's bmAttributes, reserved bits 7:6 set
        assertThatThrownBy(() -> Descriptors.parseConfiguration(config))
                .isInstanceOf(DescriptorException.class)
                .hasMessageContaining("reserved bits 7:6");
        assertThat(Endpoints.problem(UsbEndpointDescriptor.of(0x81, 0xC2, 512, 0)))
                .contains("reserved bits 7:6");
        assertThat(Endpoints.problem(UsbEndpointDescriptor.of(0x80, 3, 64, 240), UsbSpeed.HIGH))
                .contains("endpoint 0");
        assertThat(Endpoints.problem(UsbEndpointDescriptor.of(0x81, 1, 64, 1), UsbSpeed.LOW))
                .contains("low-speed");
        assertThat(Endpoints.problem(UsbEndpointDescriptor.of(0x81, 3, 64, 128), UsbSpeed.HIGH))
                .isNull();
    }

    /**
     * A high-speed device with a full-speed interrupt {@code bInterval} (32 and 128): the parser accepts it,
     * the helpers and {@code OpenPipe} read it as frames (256 and 1024 microframes, Linux's
     * {@code usb_parse_endpoint}), and transfers on it complete.
     */
    @ParameterizedTest(name = "high-speed interrupt bInterval {0} -> every {1} microframes")
    @CsvSource({"32, 256", "128, 1024", "255, 1024", "17, 128", "16, 32768"})
    void aHighSpeedInterruptIntervalAbove16IsReadAsFramesEverywhere(int bInterval, int microframes) throws Exception {
        byte[] config = ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0xFF, 0, 0)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_INTERRUPT, 64, bInterval)
                .build();
        UsbEndpointDescriptor ep = Descriptors.parseConfiguration(config)
                .interfaces()
                .get(0)
                .endpoints()
                .get(0)
                .descriptor();
        assertThat(Endpoints.servicePeriod(ep, UsbSpeed.HIGH)).isEqualTo(microframes);
        var model = new TestModels.Raw(UsbSpeed.HIGH, config);
        try (CeHost h = CeHost.with(model)) {
            UsbPipe p = h.f.openPipe(h.device, ep);
            assertThat(p).as("OpenPipe (last error %d)", Win32.getLastError()).isNotNull();
            UsbTransfer t = h.f.issueInterruptTransfer(
                    p, param -> 0, null, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, 8, ByteBuffer.allocate(8), 0);
            assertThat(t).isNotNull();
            assertThat(h.sim.runUntil(() -> h.f.isTransferComplete(t), microframes / 8 + 2))
                    .as("completed within one period")
                    .isTrue();
            assertThat(h.f.closeTransfer(t)).isTrue();
            assertThat(h.f.closePipe(p)).isTrue();
        }
    }

    /**
     * A packet size above what the speed allows ([§4](reference/usb-bus.html#s4)) is read as that maximum, as Linux
     * reads it when it enumerates the device: a full-speed isochronous endpoint announcing 1024 moves 1023 bytes, a
     * high-speed one announcing 2047 (and 2 transactions) moves 2 × 1024. Before, the simulator and {@code OpenPipe}
     * took bits 10:0 as they were, so a driver's 1024-byte frame passed here and would have been refused by the kernel.
     */
    @ParameterizedTest(name = "{0}: wMaxPacketSize {1} -> {2} bytes per frame")
    @CsvSource({"FULL, 0x0400, 1023", "FULL, 0x07FF, 1023", "HIGH, 0x07FF, 1024", "HIGH, 0x0FFF, 2048"})
    void aPacketSizeAboveTheSpeedsMaximumIsReadAsTheMaximum(UsbSpeed speed, String size, int perFrame)
            throws Exception {
        byte[] config = ConfigurationBuilder.configuration(1, 0x80, 50)
                .iface(0, 0, 0xFF, 0, 0)
                .endpoint(0x81, Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS, Integer.decode(size), 1)
                .build();
        UsbEndpointDescriptor ep = Descriptors.parseConfiguration(config)
                .interfaces()
                .get(0)
                .endpoints()
                .get(0)
                .descriptor();
        try (CeHost h = CeHost.with(new TestModels.Raw(speed, config))) {
            UsbPipe p = h.f.openPipe(h.device, ep);
            assertThat(p).as("OpenPipe (last error %d)", Win32.getLastError()).isNotNull();
            ByteBuffer buf = ByteBuffer.allocateDirect(2 * (perFrame + 1));
            Win32.setLastError(0);
            assertThat(h.f.issueIsochTransfer(
                            p,
                            null,
                            null,
                            USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT,
                            0,
                            2,
                            new int[] {perFrame + 1, perFrame + 1},
                            buf,
                            0))
                    .isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_INVALID_PARAMETER);
            UsbTransfer t = h.f.issueIsochTransfer(
                    p,
                    null,
                    null,
                    USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_NO_WAIT | USB_SHORT_TRANSFER_OK,
                    0,
                    2,
                    new int[] {perFrame, perFrame},
                    buf,
                    0);
            assertThat(t)
                    .as("IssueIsochTransfer (last error %d)", Win32.getLastError())
                    .isNotNull();
            assertThat(h.sim.runUntil(() -> h.f.isTransferComplete(t), 20)).isTrue();
            int[] errors = new int[2];
            assertThat(h.f.getIsochResults(t, 2, new int[2], errors)).isTrue();
            assertThat(errors).containsOnly(USB_NO_ERROR);
            assertThat(h.f.closeTransfer(t)).isTrue();
            assertThat(h.f.closePipe(p)).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}, bmAttributes {1}, wMaxPacketSize {2}: {3} bytes")
    @CsvSource({
        "FULL, 1, 1024, 1023",
        "FULL, 2, 512, 64",
        "FULL, 3, 100, 64",
        "LOW, 3, 64, 8",
        "HIGH, 2, 1024, 1024",
        "HIGH, 3, 0x0FFF, 1024",
        "SUPER, 1, 0x07FF, 1024",
        "FULL, 1, 600, 600"
    })
    void thePacketSizeTableIsLinuxs(UsbSpeed speed, int attributes, String size, int bytes) {
        UsbEndpointDescriptor d = UsbEndpointDescriptor.of(0x81, attributes, Integer.decode(size), 1);
        assertThat(Endpoints.maxPacketPayload(d, speed)).isEqualTo(bytes);
    }

    @Test
    void aLowSpeedBulkEndpointIsUnusable() {
        assertThat(Endpoints.problem(UsbEndpointDescriptor.of(0x81, 2, 8, 0), UsbSpeed.LOW))
                .isEqualTo("low-speed devices have no bulk endpoints");
    }
}
