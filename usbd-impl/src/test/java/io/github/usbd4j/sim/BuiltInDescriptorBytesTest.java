package io.github.usbd4j.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.descriptor.DescriptorException;
import io.github.usbd4j.descriptor.Descriptors;
import io.github.usbd4j.usb.UsbConfiguration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The built-in devices' configuration descriptors, pinned byte for byte: drivers and tests match on
 * them, so any change to how they are written must be deliberate. The constants were captured from the
 * models before they moved to {@code ConfigurationBuilder}.
 */
class BuiltInDescriptorBytesTest {

    // interface 2 (interrupt 0x03/0x83) added for the backend SPI contract's interrupt transfers
    private static final String LOOPBACK_FS =
            "09026e0003010080320904000000ff0000000904000102ff00000007050105000201070581050002"
                    + "010904000202ff00000007050105000204070581050002040904010002ff00000007050202400000"
                    + "070582024000000904020002ff0000000705030308000107058303080001";

    private static final String LOOPBACK_HS =
            "0902850003010080320904000000ff0000000904000102ff00000007050105000401070581050004"
                    + "010904000202ff00000007050105001401070581050014010904000302ff00000007050105000404"
                    + "070581050004040904010002ff00000007050202000200070582020002000904020002ff00000007"
                    + "05030340000407058303400004";

    private static final String UAC1_SPEAKER =
            "09026400020100803209040000000101000009240100011e0001010c240201010100020300000009"
                    + "2403020103000100090401000001020000090401010101020000072401010101000b240201020210"
                    + "0180bb0009050109c00001000007250101000000";

    private static final String UAC1_MICROPHONE =
            "09026400020100803209040000000101000009240100011e0001010c240201010200010000000009"
                    + "2403020101000100090401000001020000090401010101020000072401020101000b240201010210"
                    + "0180bb0009058105600001000007250100000000";

    private static final String UVC_CAMERA =
            "0902c2000201008032080b00020e03000009040000000e0100000d240100012800006cdc02010112"
                    + "240201010200000000000000000300000009240302010100010009040100000e0200000e24010147"
                    + "0081000200000001001b240401015955593200001000800000aa00389b711001000000001e240501"
                    + "00a000780000a08c0000a08c000096000015160500011516050009040101010e0200000705810500"
                    + "040109040102010e02000007058105200b0109040103010e02000007058105001401";

    @Test
    void loopbackFullSpeed_isUnchanged() throws DescriptorException {
        assertPinned(LoopbackDevice::fullSpeed, LOOPBACK_FS);
    }

    @Test
    void loopbackHighSpeed_isUnchanged() throws DescriptorException {
        assertPinned(LoopbackDevice::highSpeed, LOOPBACK_HS);
    }

    @Test
    void uac1Speaker_isUnchanged() throws DescriptorException {
        assertPinned(Uac1Speaker::new, UAC1_SPEAKER);
    }

    @Test
    void uac1Microphone_isUnchanged() throws DescriptorException {
        assertPinned(Uac1Microphone::new, UAC1_MICROPHONE);
    }

    @Test
    void uvcCamera_isUnchanged() throws DescriptorException {
        assertPinned(UvcCamera::new, UVC_CAMERA);
    }

    private static void assertPinned(Supplier<DeviceModel> model, String hex) throws DescriptorException {
        List<byte[]> configs = model.get().configurationDescriptors();
        assertThat(configs).hasSize(1);
        byte[] expected = HexFormat.of().parseHex(hex);
        assertThat(HexFormat.of().formatHex(configs.get(0))).isEqualTo(hex);
        // and the strict parser accepts it
        UsbConfiguration parsed = Descriptors.parseConfiguration(expected);
        assertThat(parsed.descriptor().wTotalLength()).isEqualTo(expected.length);
    }
}
