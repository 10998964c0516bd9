package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link Usb100}: endpoint types and masks from [§1.4](reference/ce-usbd.html#s1-4) (usb100.h), and the USB 2.0
 * chapter 9 / USB 3.x descriptor types, request codes and feature selectors (universal USB values, USB 2.0
 * tables 9-4, 9-5, 9-6 and USB 3.2 table 9-6), written here as literals.
 */
class Usb100Test {

    @Test
    void endpointTypesAndMasks_haveSpec14Values() {
        assertThat(Usb100.USB_ENDPOINT_TYPE_CONTROL).isEqualTo(0x00);
        assertThat(Usb100.USB_ENDPOINT_TYPE_ISOCHRONOUS).isEqualTo(0x01);
        assertThat(Usb100.USB_ENDPOINT_TYPE_BULK).isEqualTo(0x02);
        assertThat(Usb100.USB_ENDPOINT_TYPE_INTERRUPT).isEqualTo(0x03);
        assertThat(Usb100.USB_ENDPOINT_TYPE_MASK).isEqualTo(0x03);
        assertThat(Usb100.USB_ENDPOINT_DIRECTION_MASK).isEqualTo(0x80);
    }

    @Test
    void isochronousAttributeMasks_haveUsb20Values() {
        assertThat(Usb100.USB_ENDPOINT_SYNC_TYPE_MASK).isEqualTo(0x0C); // bmAttributes bits 3:2
        assertThat(Usb100.USB_ENDPOINT_USAGE_TYPE_MASK).isEqualTo(0x30); // bits 5:4
    }

    @Test
    void descriptorTypes_haveUsbSpecValues() {
        assertThat(Usb100.USB_DEVICE_DESCRIPTOR_TYPE).isEqualTo(1);
        assertThat(Usb100.USB_CONFIGURATION_DESCRIPTOR_TYPE).isEqualTo(2);
        assertThat(Usb100.USB_STRING_DESCRIPTOR_TYPE).isEqualTo(3);
        assertThat(Usb100.USB_INTERFACE_DESCRIPTOR_TYPE).isEqualTo(4);
        assertThat(Usb100.USB_ENDPOINT_DESCRIPTOR_TYPE).isEqualTo(5);
        assertThat(Usb100.USB_DEVICE_QUALIFIER_DESCRIPTOR_TYPE).isEqualTo(6);
        assertThat(Usb100.USB_OTHER_SPEED_CONFIGURATION_DESCRIPTOR_TYPE).isEqualTo(7);
        assertThat(Usb100.USB_INTERFACE_POWER_DESCRIPTOR_TYPE).isEqualTo(8);
        assertThat(Usb100.USB_OTG_DESCRIPTOR_TYPE).isEqualTo(9);
        assertThat(Usb100.USB_DEBUG_DESCRIPTOR_TYPE).isEqualTo(10);
        assertThat(Usb100.USB_INTERFACE_ASSOCIATION_DESCRIPTOR_TYPE).isEqualTo(11);
        assertThat(Usb100.USB_BOS_DESCRIPTOR_TYPE).isEqualTo(15);
        assertThat(Usb100.USB_DEVICE_CAPABILITY_DESCRIPTOR_TYPE).isEqualTo(16);
        assertThat(Usb100.USB_SUPERSPEED_ENDPOINT_COMPANION_DESCRIPTOR_TYPE).isEqualTo(0x30);
        assertThat(Usb100.USB_SUPERSPEEDPLUS_ISOCH_ENDPOINT_COMPANION_DESCRIPTOR_TYPE)
                .isEqualTo(0x31);
        assertThat(Usb100.USB_CS_INTERFACE_DESCRIPTOR_TYPE).isEqualTo(0x24);
        assertThat(Usb100.USB_CS_ENDPOINT_DESCRIPTOR_TYPE).isEqualTo(0x25);
    }

    @Test
    void requestTypeBits_haveSpec12Values() {
        // CE declares these in usbtypes.h ([§1.2](reference/ce-usbd.html#s1-2)); they are chapter 9's bmRequestType
        // bits, so they live here
        assertThat(Usb100.USB_REQUEST_DEVICE_TO_HOST).isEqualTo(0x80);
        assertThat(Usb100.USB_REQUEST_HOST_TO_DEVICE).isEqualTo(0x00);
        assertThat(Usb100.USB_REQUEST_STANDARD).isEqualTo(0x00);
        assertThat(Usb100.USB_REQUEST_CLASS).isEqualTo(0x20);
        assertThat(Usb100.USB_REQUEST_VENDOR).isEqualTo(0x40);
        assertThat(Usb100.USB_REQUEST_RESERVED).isEqualTo(0x60);
        assertThat(Usb100.USB_REQUEST_FOR_DEVICE).isEqualTo(0x00);
        assertThat(Usb100.USB_REQUEST_FOR_INTERFACE).isEqualTo(0x01);
        assertThat(Usb100.USB_REQUEST_FOR_ENDPOINT).isEqualTo(0x02);
        assertThat(Usb100.USB_REQUEST_FOR_OTHER).isEqualTo(0x03);
    }

    @Test
    void standardRequests_haveUsb20Values() {
        assertThat(Usb100.USB_REQUEST_GET_STATUS).isEqualTo(0);
        assertThat(Usb100.USB_REQUEST_CLEAR_FEATURE).isEqualTo(1);
        assertThat(Usb100.USB_REQUEST_SET_FEATURE).isEqualTo(3);
        assertThat(Usb100.USB_REQUEST_SET_ADDRESS).isEqualTo(5);
        assertThat(Usb100.USB_REQUEST_GET_DESCRIPTOR).isEqualTo(6);
        assertThat(Usb100.USB_REQUEST_SET_DESCRIPTOR).isEqualTo(7);
        assertThat(Usb100.USB_REQUEST_GET_CONFIGURATION).isEqualTo(8);
        assertThat(Usb100.USB_REQUEST_SET_CONFIGURATION).isEqualTo(9);
        assertThat(Usb100.USB_REQUEST_GET_INTERFACE).isEqualTo(10);
        assertThat(Usb100.USB_REQUEST_SET_INTERFACE).isEqualTo(11);
        // [§1.9](reference/ce-usbd.html#s1-9): SyncFrame issues SYNCH_FRAME, bRequest 12
        assertThat(Usb100.USB_REQUEST_SYNC_FRAME).isEqualTo(12);
    }

    @Test
    void featureSelectors_haveUsb20Values() {
        assertThat(Usb100.USB_FEATURE_ENDPOINT_STALL).isEqualTo(0);
        assertThat(Usb100.USB_FEATURE_REMOTE_WAKEUP).isEqualTo(1);
        assertThat(Usb100.USB_FEATURE_TEST_MODE).isEqualTo(2);
    }

    @Test
    void direction_followsBit7Only() {
        assertThat(Usb100.isDirectionIn(0x81)).isTrue();
        assertThat(Usb100.isDirectionOut(0x81)).isFalse();
        assertThat(Usb100.isDirectionIn(0x01)).isFalse();
        assertThat(Usb100.isDirectionOut(0x01)).isTrue();
        assertThat(Usb100.isDirectionIn(0x80)).isTrue(); // endpoint 0 IN
        assertThat(Usb100.isDirectionOut(0x7F)).isTrue();
    }
}
