package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link UsbStringDescriptor}: CE's {@code USB_STRING_DESCRIPTOR} (usb100.h), UTF-16LE code units after a 2-byte header. */
class UsbStringDescriptorTest {

    @Test
    void of_computesLengthAndType() {
        UsbStringDescriptor s = UsbStringDescriptor.of("Hi");
        assertThat(s.bLength()).isEqualTo(6);
        assertThat(s.bDescriptorType()).isEqualTo(3);
        assertThat(s.bString()).isEqualTo("Hi");
    }

    @Test
    void toBytes_isHeaderThenUtf16Le() {
        assertThat(UsbStringDescriptor.of("Hi").toBytes()).containsExactly(6, 3, 'H', 0, 'i', 0);
        assertThat(UsbStringDescriptor.of("\u00e9\u20ac").toBytes()).containsExactly(6, 3, 0xE9, 0x00, 0xAC, 0x20);
        assertThat(UsbStringDescriptor.of("").toBytes()).containsExactly(2, 3);
    }

    @Test
    void languageIds_areCodeUnits() {
        // string index 0: LANGID 0x0409 (en-US)
        assertThat(UsbStringDescriptor.of("\u0409").toBytes()).containsExactly(4, 3, 0x09, 0x04);
    }

    @Test
    void toBytes_keepsEveryCodeUnitAsTheDeviceSentIt() {
        // bString holds "UTF-16 code units as the device sent them": a lone surrogate must survive
        UsbStringDescriptor s = UsbStringDescriptor.of("a\uD800b");
        assertThat(s.toBytes()).containsExactly(8, 3, 'a', 0, 0x00, 0xD8, 'b', 0);
    }

    @Test
    void constructor_rejectsLengthThatDoesNotMatchTheText() {
        assertThatThrownBy(() -> new UsbStringDescriptor(5, 3, "Hi"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bLength");
        assertThatThrownBy(() -> new UsbStringDescriptor(2, 3, "Hi")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void constructor_rejectsNullText() {
        assertThatThrownBy(() -> new UsbStringDescriptor(2, 3, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void of_acceptsAt126CodeUnitsAndRejects127() {
        assertThat(UsbStringDescriptor.of("x".repeat(126)).bLength()).isEqualTo(254);
        assertThatThrownBy(() -> UsbStringDescriptor.of("x".repeat(127)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bLength");
    }

    @Test
    void constructor_rangeChecksType() {
        assertThatThrownBy(() -> new UsbStringDescriptor(2, 256, ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bDescriptorType");
        assertThatThrownBy(() -> new UsbStringDescriptor(2, -1, ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bDescriptorType");
    }
}
