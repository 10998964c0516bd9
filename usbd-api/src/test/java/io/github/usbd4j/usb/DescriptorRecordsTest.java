package io.github.usbd4j.usb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The byte-packed descriptor records of usb100.h and the setup packet of usbtypes.h
 * ([§1.4](reference/ce-usbd.html#s1-4)): every field is range-checked as its C type (UCHAR 0..255, USHORT 0..65535) and
 * serialised little-endian.
 */
class DescriptorRecordsTest {

    /** The USHORT/WORD fields of these records (USB 2.0 chapter 9); every other int field is a UCHAR. */
    private static final Set<String> WORD_FIELDS = Set.of(
            "bcdUSB",
            "idVendor",
            "idProduct",
            "bcdDevice",
            "wTotalLength",
            "wMaxPacketSize",
            "wValue",
            "wIndex",
            "wLength");

    static Stream<Arguments> records() {
        return Stream.of(
                Arguments.of(UsbDeviceDescriptor.class, device()),
                Arguments.of(UsbConfigurationDescriptor.class, configuration()),
                Arguments.of(UsbInterfaceDescriptor.class, iface()),
                Arguments.of(UsbEndpointDescriptor.class, endpoint()),
                Arguments.of(UsbDeviceRequest.class, new UsbDeviceRequest(0x80, 6, 0x0100, 0, 18)));
    }

    static UsbDeviceDescriptor device() {
        return new UsbDeviceDescriptor(18, 1, 0x0200, 0xEF, 0x02, 0x01, 64, 0x045E, 0x0040, 0x0123, 1, 2, 3, 1);
    }

    static UsbConfigurationDescriptor configuration() {
        return new UsbConfigurationDescriptor(9, 2, 0x0123, 2, 1, 4, 0xC0, 250);
    }

    static UsbInterfaceDescriptor iface() {
        return new UsbInterfaceDescriptor(9, 4, 1, 2, 3, 1, 2, 0, 5);
    }

    static UsbEndpointDescriptor endpoint() {
        return new UsbEndpointDescriptor(7, 5, 0x81, 0x05, 0x1400, 1, 0, 0);
    }

    private static Object[] values(Record r) throws ReflectiveOperationException {
        RecordComponent[] cs = r.getClass().getRecordComponents();
        Object[] v = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            v[i] = cs[i].getAccessor().invoke(r);
        }
        return v;
    }

    private static Record construct(Class<?> type, Object[] args) throws Throwable {
        Class<?>[] types = Arrays.stream(type.getRecordComponents())
                .map(RecordComponent::getType)
                .toArray(Class<?>[]::new);
        Constructor<?> c = type.getDeclaredConstructor(types);
        try {
            return (Record) c.newInstance(args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void everyField_rejectsMinusOneAndOnePastItsCType(Class<?> type, Record valid) throws Throwable {
        RecordComponent[] cs = type.getRecordComponents();
        Object[] base = values(valid);
        assertThat(construct(type, base)).isEqualTo(valid);
        for (int i = 0; i < cs.length; i++) {
            String field = cs[i].getName();
            int max = WORD_FIELDS.contains(field) ? 0xFFFF : 0xFF;
            for (int bad : new int[] {-1, max + 1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
                Object[] args = base.clone();
                args[i] = bad;
                assertThatThrownBy(() -> construct(type, args))
                        .as("%s.%s = %d", type.getSimpleName(), field, bad)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(field)
                        .hasMessageContaining(Integer.toString(bad));
            }
            for (int good : new int[] {0, max}) {
                Object[] args = base.clone();
                args[i] = good;
                assertThatCode(() -> construct(type, args))
                        .as("%s.%s = %d", type.getSimpleName(), field, good)
                        .doesNotThrowAnyException();
            }
        }
    }

    @Test
    void wordFields_areTheOnesTheRecordsDeclare() {
        // guards WORD_FIELDS against a renamed component (which would silently be tested as a UCHAR)
        Set<String> all = new java.util.HashSet<>();
        records()
                .forEach(a -> Arrays.stream(((Class<?>) a.get()[0]).getRecordComponents())
                        .forEach(c -> all.add(c.getName())));
        assertThat(all).containsAll(WORD_FIELDS);
    }

    @Test
    void deviceDescriptor_toBytesIs18LittleEndianBytes() {
        assertThat(device().toBytes())
                .containsExactly(
                        18, 1, 0x00, 0x02, 0xEF, 0x02, 0x01, 64, 0x5E, 0x04, 0x40, 0x00, 0x23, 0x01, 1, 2, 3, 1);
    }

    @Test
    void configurationDescriptor_toBytesIs9LittleEndianBytes() {
        assertThat(configuration().toBytes()).containsExactly(9, 2, 0x23, 0x01, 2, 1, 4, (byte) 0xC0, (byte) 250);
    }

    @Test
    void interfaceDescriptor_toBytesIs9Bytes() {
        assertThat(iface().toBytes()).containsExactly(9, 4, 1, 2, 3, 1, 2, 0, 5);
    }

    @Test
    void endpointDescriptor_toBytesIs7LittleEndianBytes() {
        assertThat(endpoint().toBytes()).containsExactly(7, 5, (byte) 0x81, 0x05, 0x00, 0x14, 1);
        assertThat(UsbEndpointDescriptor.of(0x02, 0x02, 0x0200, 0).toBytes())
                .containsExactly(7, 5, 0x02, 0x02, 0x00, 0x02, 0);
    }

    @Test
    void endpointDescriptor_audioFormIs9Bytes() {
        UsbEndpointDescriptor audio = new UsbEndpointDescriptor(9, 5, 0x01, 0x09, 0x00C0, 1, 0, 0x82);
        assertThat(audio.toBytes()).containsExactly(9, 5, 0x01, 0x09, (byte) 0xC0, 0x00, 1, 0, (byte) 0x82);
    }

    @Test
    void constants_areTheDescriptorSizes() {
        assertThat(UsbDeviceDescriptor.LENGTH).isEqualTo(18);
        assertThat(UsbConfigurationDescriptor.LENGTH).isEqualTo(9);
        assertThat(UsbInterfaceDescriptor.LENGTH).isEqualTo(9);
        assertThat(UsbEndpointDescriptor.LENGTH).isEqualTo(7);
        assertThat(UsbEndpointDescriptor.AUDIO_LENGTH).isEqualTo(9);
        assertThat(UsbDeviceRequest.LENGTH).isEqualTo(8);
    }

    @Test
    void toBytes_lengthEqualsLengthConstant() {
        assertThat(device().toBytes()).hasSize(18);
        assertThat(configuration().toBytes()).hasSize(9);
        assertThat(iface().toBytes()).hasSize(9);
        assertThat(endpoint().toBytes()).hasSize(7);
    }
}
