package io.github.usbd4j.ce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link UsbDriverSettings}: CE's {@code USB_DRIVER_SETTINGS} ([§1.4](reference/ce-usbd.html#s1-4)) and the
 * {@code LoadClients} key USBD builds from it ([§1.5](reference/ce-usbd.html#s1-5): each group {@code "%u_%u_%u"},
 * {@code "%u_%u"}, {@code "%u"} in decimal, or {@code "Default"} when all its fields are {@code USB_NO_INFO}).
 */
class UsbDriverSettingsTest {

    /** [§1.2](reference/ce-usbd.html#s1-2): USB_NO_INFO = 0xFFFFFFFF. */
    private static final int NO = 0xFFFFFFFF;

    @Test
    void vendorAndProduct_isDecimalUnderscoreJoined() {
        // VID 0x045E = 1118, PID 0x0040 = 64
        assertThat(UsbDriverSettings.forVendor(0x045E, 0x0040).loadClientsKey()).isEqualTo("1118_64\\Default\\Default");
    }

    @Test
    void vendorOnly_isOneNumber() {
        assertThat(UsbDriverSettings.forVendor(0x045E, NO).loadClientsKey()).isEqualTo("1118\\Default\\Default");
    }

    @Test
    void fullSettings_areThreeNumbersPerGroup() {
        UsbDriverSettings s = new UsbDriverSettings(4617, 1, 0x0100, 0xEF, 2, 1, 1, 2, 0);
        assertThat(s.loadClientsKey()).isEqualTo("4617_1_256\\239_2_1\\1_2_0");
    }

    @Test
    void eachGroup_usesItsOwnFieldCount() {
        assertThat(new UsbDriverSettings(1, NO, NO, 9, 0, NO, 3, 1, 2).loadClientsKey())
                .isEqualTo("1\\9_0\\3_1_2");
        assertThat(UsbDriverSettings.forDeviceClass(9, NO, NO).loadClientsKey()).isEqualTo("Default\\9\\Default");
        assertThat(UsbDriverSettings.forDeviceClass(9, 0, 2).loadClientsKey()).isEqualTo("Default\\9_0_2\\Default");
        assertThat(UsbDriverSettings.forInterfaceClass(1, 2, NO).loadClientsKey())
                .isEqualTo("Default\\Default\\1_2");
        assertThat(UsbDriverSettings.forInterfaceClass(0xFF, NO, NO).loadClientsKey())
                .isEqualTo("Default\\Default\\255");
    }

    @Test
    void numbers_areUnsignedDecimalNotHex() {
        assertThat(UsbDriverSettings.forVendor(0xFFFF, 0xABCD).loadClientsKey())
                .isEqualTo("65535_43981\\Default\\Default");
        assertThat(UsbDriverSettings.forVendor(0, 0).loadClientsKey()).isEqualTo("0_0\\Default\\Default");
    }

    @Test
    void any_isDefaultDefaultDefault() {
        assertThat(UsbDriverSettings.ANY.loadClientsKey()).isEqualTo("Default\\Default\\Default");
        assertThat(UsbDriverSettings.ANY).isEqualTo(new UsbDriverSettings(NO, NO, NO, NO, NO, NO, NO, NO, NO));
    }

    @Test
    void productWithoutVendor_isRejected() {
        // [§1.5](reference/ce-usbd.html#s1-5) key names are X, X_Y, X_Y_Z: a group is filled left to right
        assertThatThrownBy(() -> new UsbDriverSettings(NO, 0x0040, NO, NO, NO, NO, NO, NO, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vendor")
                .hasMessageContaining("left to right");
        assertThatThrownBy(() -> UsbDriverSettings.forVendor(NO, 0x0040)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void releaseWithoutProduct_isRejected() {
        assertThatThrownBy(() -> new UsbDriverSettings(0x045E, NO, 0x0100, NO, NO, NO, NO, NO, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vendor");
    }

    @Test
    void classGroupsWithGaps_areRejected() {
        assertThatThrownBy(() -> UsbDriverSettings.forDeviceClass(NO, 1, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device class");
        assertThatThrownBy(() -> UsbDriverSettings.forDeviceClass(9, NO, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device class");
        assertThatThrownBy(() -> UsbDriverSettings.forInterfaceClass(1, NO, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("interface class");
        assertThatThrownBy(() -> UsbDriverSettings.ANY.withInterfaceClass(NO, NO, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("interface class");
    }

    @Test
    void vendorGroup_is16Bit() {
        assertThatCode(() -> new UsbDriverSettings(0xFFFF, 0xFFFF, 0xFFFF, NO, NO, NO, NO, NO, NO))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> UsbDriverSettings.forVendor(0x10000, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vendor")
                .hasMessageContaining("65536");
        assertThatThrownBy(() -> UsbDriverSettings.forVendor(1, 0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UsbDriverSettings(1, 2, 0x10000, NO, NO, NO, NO, NO, NO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void classGroups_are8Bit() {
        assertThatCode(() -> new UsbDriverSettings(NO, NO, NO, 255, 255, 255, 255, 255, 255))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> UsbDriverSettings.forDeviceClass(256, NO, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device class")
                .hasMessageContaining("256");
        assertThatThrownBy(() -> UsbDriverSettings.forDeviceClass(1, 1, 256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDriverSettings.forInterfaceClass(1, 256, NO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("interface class");
    }

    @Test
    void negativeValuesOtherThanNoInfo_areRejected() {
        assertThatThrownBy(() -> UsbDriverSettings.forVendor(-2, NO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDriverSettings.forDeviceClass(Integer.MIN_VALUE, NO, NO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UsbDriverSettings.forInterfaceClass(-255, NO, NO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withInterfaceClass_replacesOnlyTheInterfaceGroup() {
        UsbDriverSettings s = UsbDriverSettings.forVendor(4617, 1).withInterfaceClass(1, 2, NO);
        assertThat(s.loadClientsKey()).isEqualTo("4617_1\\Default\\1_2");
        assertThat(s.withInterfaceClass(NO, NO, NO)).isEqualTo(UsbDriverSettings.forVendor(4617, 1));
    }

    @Test
    void toString_showsTheKey() {
        assertThat(UsbDriverSettings.forVendor(0x045E, 0x0040).toString()).contains("1118_64\\Default\\Default");
    }
}
