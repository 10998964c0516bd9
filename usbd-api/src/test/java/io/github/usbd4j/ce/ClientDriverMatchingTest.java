package io.github.usbd4j.ce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbInterfaceDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientDriverMatching}: the CE 6/7 USBD search ([§1.5](reference/ce-usbd.html#s1-5); usbd.cpp
 * {@code LoadUSBClient}/{@code ConvertToClientRegistry}). Device level: (vendor + device class), (vendor),
 * (device class), never {@code Default\Default\Default}. Interface level: (vendor + device class + interface
 * class), (vendor + interface class), (device class + interface class), (interface class), then
 * {@code Default\Default\Default}. Within a combination: most specific key first; only the first key with
 * drivers is offered.
 */
class ClientDriverMatchingTest {

    /** VID 4617, PID 1, bcdDevice 0x0100 (256), device class 0/0/0. */
    private static final UsbDeviceDescriptor DEVICE =
            new UsbDeviceDescriptor(18, 1, 0x0200, 0, 0, 0, 64, 4617, 1, 0x0100, 0, 0, 0, 1);

    /** An audio streaming interface: class 1, subclass 2, protocol 0. */
    private static final UsbInterfaceDescriptor AUDIO = new UsbInterfaceDescriptor(9, 4, 1, 0, 0, 1, 2, 0, 0);

    private static Map<String, List<String>> registry(String... keyDriver) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < keyDriver.length; i += 2) {
            m.computeIfAbsent(keyDriver[i], k -> new ArrayList<>()).add(keyDriver[i + 1]);
        }
        return m;
    }

    @Test
    void deviceLevel_triesVendorPlusClassThenVendorThenClass() {
        assertThat(ClientDriverMatching.searchOrder(DEVICE, null))
                .containsExactly(
                        List.of(
                                "4617_1_256\\0_0_0\\Default",
                                "4617_1_256\\0_0\\Default",
                                "4617_1_256\\0\\Default",
                                "4617_1\\0_0_0\\Default",
                                "4617_1\\0_0\\Default",
                                "4617_1\\0\\Default",
                                "4617\\0_0_0\\Default",
                                "4617\\0_0\\Default",
                                "4617\\0\\Default"),
                        List.of("4617_1_256\\Default\\Default", "4617_1\\Default\\Default", "4617\\Default\\Default"),
                        List.of("Default\\0_0_0\\Default", "Default\\0_0\\Default", "Default\\0\\Default"));
    }

    @Test
    void deviceLevel_neverTriesDefaultDefaultDefault() {
        assertThat(ClientDriverMatching.searchOrder(DEVICE, null))
                .allSatisfy(keys -> assertThat(keys).doesNotContain("Default\\Default\\Default"));
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registry("Default\\Default\\Default", "generic")))
                .isEmpty();
    }

    @Test
    void interfaceLevel_firstCombinationIsVendorPlusDeviceClassPlusInterfaceClass() {
        List<String> expected = new ArrayList<>();
        for (String v : List.of("4617_1_256", "4617_1", "4617")) {
            for (String d : List.of("0_0_0", "0_0", "0")) {
                for (String i : List.of("1_2_0", "1_2", "1")) {
                    expected.add(v + "\\" + d + "\\" + i);
                }
            }
        }
        List<String> first = ClientDriverMatching.searchOrder(DEVICE, AUDIO).get(0);
        assertThat(first).hasSize(27).containsExactlyElementsOf(expected);
        assertThat(first.get(0)).isEqualTo("4617_1_256\\0_0_0\\1_2_0");
        assertThat(first.get(1)).isEqualTo("4617_1_256\\0_0_0\\1_2");
        assertThat(first.get(26)).isEqualTo("4617\\0\\1");
    }

    @Test
    void interfaceLevel_remainingCombinationsInCeOrder() {
        List<List<String>> order = ClientDriverMatching.searchOrder(DEVICE, AUDIO);
        assertThat(order).hasSize(5);
        assertThat(order.get(1))
                .containsExactly(
                        "4617_1_256\\Default\\1_2_0",
                        "4617_1_256\\Default\\1_2",
                        "4617_1_256\\Default\\1",
                        "4617_1\\Default\\1_2_0",
                        "4617_1\\Default\\1_2",
                        "4617_1\\Default\\1",
                        "4617\\Default\\1_2_0",
                        "4617\\Default\\1_2",
                        "4617\\Default\\1");
        assertThat(order.get(2))
                .containsExactly(
                        "Default\\0_0_0\\1_2_0",
                        "Default\\0_0_0\\1_2",
                        "Default\\0_0_0\\1",
                        "Default\\0_0\\1_2_0",
                        "Default\\0_0\\1_2",
                        "Default\\0_0\\1",
                        "Default\\0\\1_2_0",
                        "Default\\0\\1_2",
                        "Default\\0\\1");
        assertThat(order.get(3))
                .containsExactly("Default\\Default\\1_2_0", "Default\\Default\\1_2", "Default\\Default\\1");
        assertThat(order.get(4)).containsExactly("Default\\Default\\Default");
    }

    @Test
    void searchOrder_rejectsNullDevice() {
        assertThatThrownBy(() -> ClientDriverMatching.searchOrder(null, AUDIO))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void offerOrder_takesOnlyTheFirstKeyWithDriversInACombination() {
        // both keys belong to the (vendor) combination; the less specific one is not offered
        Map<String, List<String>> registered =
                registry("4617\\Default\\Default", "vendorWide", "4617_1\\Default\\Default", "productDriver");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registered)).containsExactly("productDriver");
    }

    @Test
    void offerOrder_emptyDriverListCountsAsNoKey() {
        Map<String, List<String>> registered = registry("4617\\Default\\Default", "vendorWide");
        registered.put("4617_1\\Default\\Default", List.of());
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registered)).containsExactly("vendorWide");
    }

    @Test
    void offerOrder_keepsRegistrationOrderWithinAKey() {
        Map<String, List<String>> registered = registry(
                "Default\\Default\\1", "first", "Default\\Default\\1", "second", "Default\\Default\\1", "third");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, AUDIO, registered))
                .containsExactly("first", "second", "third");
    }

    @Test
    void offerOrder_vendorSpecificDriverBeatsClassDriver() {
        // registered class driver first, vendor driver later: the vendor combination is still tried first
        Map<String, List<String>> registered = registry(
                "Default\\Default\\Default", "fallback",
                "Default\\Default\\1", "audioClass",
                "4617_1\\Default\\1_2", "vendorAudio");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, AUDIO, registered))
                .containsExactly("vendorAudio", "audioClass", "fallback");
    }

    @Test
    void offerOrder_oneCandidatePerMatchingCombination() {
        Map<String, List<String>> registered = registry(
                "4617\\0\\1", "allThree",
                "4617\\Default\\1_2_0", "vendorIf",
                "Default\\0_0\\1", "classIf",
                "Default\\Default\\1_2_0", "ifOnly",
                "Default\\Default\\1", "ifOnlyLessSpecific",
                "Default\\Default\\Default", "fallback");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, AUDIO, registered))
                .containsExactly("allThree", "vendorIf", "classIf", "ifOnly", "fallback");
    }

    @Test
    void offerOrder_ignoresKeysForOtherDevicesAndInterfaces() {
        Map<String, List<String>> registered = registry(
                "4618\\Default\\Default", "otherVendor",
                "4617_2\\Default\\Default", "otherProduct",
                "Default\\Default\\14", "video",
                "Default\\9\\Default", "hub");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registered)).isEmpty();
        assertThat(ClientDriverMatching.offerOrder(DEVICE, AUDIO, registered)).isEmpty();
    }

    @Test
    void offerOrder_interfaceKeysAreNotOfferedTheWholeDevice() {
        Map<String, List<String>> registered = registry("Default\\Default\\1", "audioClass");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registered)).isEmpty();
        assertThat(ClientDriverMatching.offerOrder(DEVICE, AUDIO, registered)).containsExactly("audioClass");
    }

    @Test
    void offerOrder_sameDriverMayAppearOncePerCombination() {
        Map<String, List<String>> registered = registry(
                "4617_1\\0\\Default", "multi", "4617\\Default\\Default", "multi", "Default\\0\\Default", "multi");
        assertThat(ClientDriverMatching.offerOrder(DEVICE, null, registered))
                .containsExactly("multi", "multi", "multi");
    }

    @Test
    void keysFromSettings_matchTheSearchKeys() {
        // a driver registered with forVendor(4617, 1) and audio interface class 1 is found at interface level
        String key = UsbDriverSettings.forVendor(4617, 1)
                .withInterfaceClass(1, 0xFFFFFFFF, 0xFFFFFFFF)
                .loadClientsKey();
        assertThat(key).isEqualTo("4617_1\\Default\\1");
        assertThat(ClientDriverMatching.searchOrder(DEVICE, AUDIO).get(1)).contains(key);
    }
}
