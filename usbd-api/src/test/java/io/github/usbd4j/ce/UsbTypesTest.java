package io.github.usbd4j.ce;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link UsbTypes} against usb-iso-apis.md §1.2 (flags, other constants, bmRequestType helpers) and §1.3
 * (USB_ERROR). The spec values are written here as literals on purpose: the test must not read them from
 * the class under test.
 */
class UsbTypesTest {

    /** §1.2 table: the ten dwFlags, in the spec's order. */
    private static final Map<String, Integer> SPEC_1_2_FLAGS = literal(
            "USB_OUT_TRANSFER", 0x00000000,
            "USB_IN_TRANSFER", 0x00000080,
            "USB_NO_WAIT", 0x00000100,
            "USB_SHORT_TRANSFER_OK", 0x00000200,
            "USB_START_ISOCH_ASAP", 0x00000400,
            "USB_COMPRESS_ISOCH", 0x00000800,
            "USB_SEND_TO_DEVICE", 0x00001000,
            "USB_SEND_TO_INTERFACE", 0x00002000,
            "USB_SEND_TO_ENDPOINT", 0x00004000,
            "USB_DONT_BLOCK_FOR_MEM", 0x00008000);

    /** §1.3 table: every USB_ERROR value. */
    private static final Map<String, Integer> SPEC_1_3_ERRORS = literal(
            "USB_NO_ERROR", 0x00000000,
            "USB_CRC_ERROR", 0x00000001,
            "USB_BIT_STUFFING_ERROR", 0x00000002,
            "USB_DATA_TOGGLE_MISMATCH_ERROR", 0x00000003,
            "USB_STALL_ERROR", 0x00000004,
            "USB_DEVICE_NOT_RESPONDING_ERROR", 0x00000005,
            "USB_PID_CHECK_FAILURE_ERROR", 0x00000006,
            "USB_UNEXPECTED_PID_ERROR", 0x00000007,
            "USB_DATA_OVERRUN_ERROR", 0x00000008,
            "USB_DATA_UNDERRUN_ERROR", 0x00000009,
            "USB_BUFFER_OVERRUN_ERROR", 0x0000000C,
            "USB_BUFFER_UNDERRUN_ERROR", 0x0000000D,
            "USB_NOT_ACCESSED_ERROR", 0x0000000E,
            "USB_NOT_ACCESSED_ALT", 0x0000000F,
            "USB_ISOCH_ERROR", 0x00000100,
            "USB_CANCELED_ERROR", 0x00000101,
            "USB_NOT_COMPLETE_ERROR", 0x00000103,
            "USB_CLIENT_BUFFER_ERROR", 0x00000104);

    /** §1.2 "Other CE constants" and the bmRequestType helpers. */
    private static final Map<String, Integer> SPEC_1_2_OTHER = literal(
            "USB_NO_INFO", 0xFFFFFFFF,
            "USB_MAX_LOAD_STRING", 261, // MAX_PATH (260) + 1
            "USB_CLOSE_DEVICE", 1);

    private static Map<String, Integer> literal(Object... nameValue) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            m.put((String) nameValue[i], (Integer) nameValue[i + 1]);
        }
        return m;
    }

    private static int constant(String name) {
        try {
            Field f = UsbTypes.class.getField(name);
            assertThat(Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()))
                    .as("%s is static final", name)
                    .isTrue();
            assertThat(f.getType()).as("%s type", name).isEqualTo(int.class);
            return f.getInt(null);
        } catch (NoSuchFieldException | IllegalAccessException e) {
            throw new LinkageError("UsbTypes." + name + " is missing", e);
        }
    }

    private static void assertValues(Map<String, Integer> spec) {
        spec.forEach((name, value) ->
                assertThat(constant(name)).as("UsbTypes.%s", name).isEqualTo(value));
    }

    private static Set<String> publicIntConstants(java.util.function.Predicate<String> include) {
        Set<String> names = new TreeSet<>();
        for (Field f : UsbTypes.class.getFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class && include.test(f.getName())) {
                names.add(f.getName());
            }
        }
        return names;
    }

    @Test
    void transferFlags_haveSpec12Values() {
        assertThat(SPEC_1_2_FLAGS).hasSize(10);
        assertValues(SPEC_1_2_FLAGS);
    }

    @Test
    void usbErrors_haveSpec13Values() {
        assertValues(SPEC_1_3_ERRORS);
        // the ones the brief singles out, spelled out again
        assertThat(UsbTypes.USB_NOT_ACCESSED_ALT).isEqualTo(0x0F);
        assertThat(UsbTypes.USB_ISOCH_ERROR).isEqualTo(0x100);
        assertThat(UsbTypes.USB_CANCELED_ERROR).isEqualTo(0x101);
        assertThat(UsbTypes.USB_NOT_COMPLETE_ERROR).isEqualTo(0x103);
        assertThat(UsbTypes.USB_CLIENT_BUFFER_ERROR).isEqualTo(0x104);
    }

    @Test
    void otherConstants_haveSpec12Values() {
        assertValues(SPEC_1_2_OTHER);
        assertThat(Integer.toUnsignedLong(UsbTypes.USB_NO_INFO)).isEqualTo(0xFFFFFFFFL);
    }

    @Test
    void usbErrorConstants_areExactlyTheSpec13Set() {
        // an added, removed or renamed USB_*_ERROR (or USB_NOT_ACCESSED_ALT) constant fails here
        Set<String> declared = publicIntConstants(
                n -> (n.startsWith("USB_") && n.endsWith("_ERROR")) || n.startsWith("USB_NOT_ACCESSED"));
        assertThat(declared).containsExactlyInAnyOrderElementsOf(SPEC_1_3_ERRORS.keySet());
    }

    @Test
    void usbErrorValues_areDistinct() {
        assertThat(new java.util.HashSet<>(SPEC_1_3_ERRORS.values())).hasSize(SPEC_1_3_ERRORS.size());
    }

    @Test
    void allFlags_isTheOrOfTheSpec12Flags() {
        int or = 0;
        for (int v : SPEC_1_2_FLAGS.values()) {
            or |= v;
        }
        assertThat(UsbTypes.USB_ALL_FLAGS).isEqualTo(or).isEqualTo(0x0000FF80);
    }

    @Test
    void usbSemiSync_doesNotExist() {
        // §1.2 / §6 item 1: no USB_SEMI_SYNC flag in CE
        assertThat(publicIntConstants(n -> n.contains("SEMI_SYNC"))).isEmpty();
    }

    @Test
    void errorName_roundTripsEverySpec13Code() {
        SPEC_1_3_ERRORS.forEach((name, value) -> assertThat(UsbTypes.errorName(value))
                .as("errorName(0x%X)", value)
                .isEqualTo(name));
    }

    @Test
    void errorName_unknownCodesAsUpperCaseHex() {
        assertThat(UsbTypes.errorName(0x0A)).isEqualTo("0xA"); // §1.3: 0x0A, 0x0B unused
        assertThat(UsbTypes.errorName(0x0B)).isEqualTo("0xB");
        assertThat(UsbTypes.errorName(0x102)).isEqualTo("0x102"); // §1.3: 0x102 unused
        assertThat(UsbTypes.errorName(0xDEADBEEF)).isEqualTo("0xDEADBEEF");
        // not an error code although it is a UsbTypes constant
        assertThat(UsbTypes.errorName(UsbTypes.USB_NO_INFO)).isEqualTo("0xFFFFFFFF");
    }

    @Test
    void flagNames_zeroIsOutTransfer() {
        assertThat(UsbTypes.flagNames(0)).isEqualTo("USB_OUT_TRANSFER");
    }

    @Test
    void flagNames_roundTripsEverySingleSpec12Flag() {
        SPEC_1_2_FLAGS.forEach((name, value) -> assertThat(UsbTypes.flagNames(value))
                .as("flagNames(0x%X)", value)
                .isEqualTo(name));
    }

    @Test
    void flagNames_joinsInBitOrder() {
        assertThat(UsbTypes.flagNames(0x0400 | 0x0080 | 0x0800 | 0x0200))
                .isEqualTo("USB_IN_TRANSFER|USB_SHORT_TRANSFER_OK|USB_START_ISOCH_ASAP|USB_COMPRESS_ISOCH");
        assertThat(UsbTypes.flagNames(0xFF80))
                .isEqualTo("USB_IN_TRANSFER|USB_NO_WAIT|USB_SHORT_TRANSFER_OK|USB_START_ISOCH_ASAP"
                        + "|USB_COMPRESS_ISOCH|USB_SEND_TO_DEVICE|USB_SEND_TO_INTERFACE|USB_SEND_TO_ENDPOINT"
                        + "|USB_DONT_BLOCK_FOR_MEM");
    }

    @Test
    void flagNames_unknownBitsAsHex() {
        assertThat(UsbTypes.flagNames(0x1)).isEqualTo("0x1");
        assertThat(UsbTypes.flagNames(0x80 | 0x10000)).isEqualTo("USB_IN_TRANSFER|0x10000");
        assertThat(UsbTypes.flagNames(0xFFFF0000)).isEqualTo("0xFFFF0000");
    }

    @Test
    void notificationCodes_areDistinctFromCloseDevice() {
        // §1.5 / §6 item 2: USB_SUSPENDED_DEVICE and USB_RESUMED_DEVICE have no known CE value; they must
        // at least not collide with USB_CLOSE_DEVICE (1) or each other
        assertThat(Set.of(UsbTypes.USB_CLOSE_DEVICE, UsbTypes.USB_SUSPENDED_DEVICE, UsbTypes.USB_RESUMED_DEVICE))
                .hasSize(3);
    }
}
