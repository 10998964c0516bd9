package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link UsbEndpointDescriptor} helpers. The raw {@code wMaxPacketSize} stays raw ([§1.8](reference/ce-usbd.html#s1-8):
 * USBD checks frame lengths against it, bits 12:11 included); the helpers split it (USB 2.0 §9.6.6).
 */
class UsbEndpointDescriptorTest {

    @Test
    void isIn_followsBit7OfTheAddress() {
        assertThat(UsbEndpointDescriptor.of(0x81, 0x01, 64, 1).isIn()).isTrue();
        assertThat(UsbEndpointDescriptor.of(0x01, 0x01, 64, 1).isIn()).isFalse();
        assertThat(UsbEndpointDescriptor.of(0x8F, 0x02, 64, 0).isIn()).isTrue();
    }

    @Test
    void endpointNumber_isBits3To0() {
        assertThat(UsbEndpointDescriptor.of(0x83, 0x01, 64, 1).endpointNumber()).isEqualTo(3);
        assertThat(UsbEndpointDescriptor.of(0x0F, 0x01, 64, 1).endpointNumber()).isEqualTo(15);
    }

    @Test
    void transferType_isBits1To0OfAttributes() {
        // [§1.4](reference/ce-usbd.html#s1-4): CONTROL 0, ISOCHRONOUS 1, BULK 2, INTERRUPT 3
        assertThat(UsbEndpointDescriptor.of(0x81, 0x00, 64, 0).transferType()).isEqualTo(0);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 64, 1).transferType()).isEqualTo(1); // iso, async
        assertThat(UsbEndpointDescriptor.of(0x81, 0x0D, 64, 1).transferType()).isEqualTo(1); // iso, sync
        assertThat(UsbEndpointDescriptor.of(0x81, 0x02, 64, 0).transferType()).isEqualTo(2);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x03, 64, 4).transferType()).isEqualTo(3);
    }

    @Test
    void isIsochronous_onlyForType1() {
        assertThat(UsbEndpointDescriptor.of(0x81, 0x25, 64, 1).isIsochronous()).isTrue();
        assertThat(UsbEndpointDescriptor.of(0x81, 0x02, 64, 0).isIsochronous()).isFalse();
        assertThat(UsbEndpointDescriptor.of(0x81, 0x03, 64, 1).isIsochronous()).isFalse();
    }

    @Test
    void highBandwidth0x1400_isThreeTransactionsOf1024() {
        UsbEndpointDescriptor e = UsbEndpointDescriptor.of(0x81, 0x05, 0x1400, 1);
        assertThat(e.maxPacketPayload()).isEqualTo(1024);
        assertThat(e.transactionsPerMicroframe()).isEqualTo(3);
        assertThat(e.wMaxPacketSize()).as("raw value kept (§1.8)").isEqualTo(0x1400);
    }

    @Test
    void packetSizeSplit_otherEncodings() {
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0x03FF, 1).maxPacketPayload())
                .isEqualTo(1023);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0x03FF, 1).transactionsPerMicroframe())
                .isEqualTo(1);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0x0C00, 1).maxPacketPayload())
                .isEqualTo(1024);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0x0C00, 1).transactionsPerMicroframe())
                .isEqualTo(2);
        // bits 15:13 are reserved and ignored by both helpers
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0xE0C0, 1).maxPacketPayload())
                .isEqualTo(0xC0);
        assertThat(UsbEndpointDescriptor.of(0x81, 0x05, 0xE0C0, 1).transactionsPerMicroframe())
                .isEqualTo(1);
    }

    @Test
    void of_buildsA7ByteEndpointDescriptor() {
        UsbEndpointDescriptor e = UsbEndpointDescriptor.of(0x82, 0x01, 192, 4);
        assertThat(e).isEqualTo(new UsbEndpointDescriptor(7, 5, 0x82, 0x01, 192, 4, 0, 0));
    }
}
