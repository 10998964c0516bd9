package io.github.usbd4j.ce;

import io.github.usbd4j.usb.UsbDeviceDescriptor;
import io.github.usbd4j.usb.UsbInterfaceDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * CE's rule for which registered client driver gets a device or an interface
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-5">§1.5</a>), as CE 6/7's USBD implements it ({@code
 * LoadDeviceDrivers}, {@code LoadUSBClient}, {@code ConvertToClientRegistry}).
 *
 * <p>Drivers register under a {@code LoadClients} key built from their {@link UsbDriverSettings}
 * ({@link UsbDriverSettings#loadClientsKey()}). When a device arrives, USBD first offers the whole device,
 * trying three combinations of groups in turn: vendor + device class, vendor, device class. If no driver
 * accepts, it offers each interface (alternate setting 0) separately, trying vendor + device class +
 * interface class, vendor + interface class, device class + interface class, interface class, and last
 * {@code Default\Default\Default}.
 *
 * <p>Within one combination the keys run from most to least specific: the vendor group as
 * {@code vid_pid_release}, {@code vid_pid}, {@code vid}, and inside each the class groups as
 * {@code class_sub_proto}, {@code class_sub}, {@code class}. Only the first key that has drivers is used:
 * its drivers are offered in registration order, and if none accepts USBD moves on to the next
 * combination, not to a less specific key of the same one. (CE's documentation describes a "most general
 * first" order; the shipped USBD does the above, and usbd4j follows the code.)
 */
public final class ClientDriverMatching {
    private ClientDriverMatching() {}

    /**
     * The combinations tried for one offer, each a list of {@code LoadClients} keys from most to least
     * specific.
     *
     * @param device the device's descriptor
     * @param usbInterface the interface offered, or {@code null} when the whole device is offered
     * @return the combinations in CE's order
     */
    public static List<List<String>> searchOrder(UsbDeviceDescriptor device, UsbInterfaceDescriptor usbInterface) {
        Objects.requireNonNull(device, "device");
        List<List<String>> order = new ArrayList<>();
        if (usbInterface == null) {
            order.add(keys(device, null, true, true, false));
            order.add(keys(device, null, true, false, false));
            order.add(keys(device, null, false, true, false));
        } else {
            order.add(keys(device, usbInterface, true, true, true));
            order.add(keys(device, usbInterface, true, false, true));
            order.add(keys(device, usbInterface, false, true, true));
            order.add(keys(device, usbInterface, false, false, true));
            order.add(List.of(UsbDriverSettings.ANY.loadClientsKey()));
        }
        return order;
    }

    /**
     * The drivers to offer a device or interface to, in order: for each combination of
     * {@link #searchOrder}, the drivers of its first key that has any.
     *
     * @param device the device's descriptor
     * @param usbInterface the interface offered, or {@code null} for the whole device
     * @param registered drivers by {@code LoadClients} key, each list in registration order
     * @param <T> the registration type
     * @return the candidates in offer order (a driver may appear once per combination)
     */
    public static <T> List<T> offerOrder(
            UsbDeviceDescriptor device, UsbInterfaceDescriptor usbInterface, Map<String, List<T>> registered) {
        List<T> offer = new ArrayList<>();
        for (List<String> combination : searchOrder(device, usbInterface)) {
            for (String key : combination) {
                List<T> drivers = registered.get(key);
                if (drivers != null && !drivers.isEmpty()) {
                    offer.addAll(drivers);
                    break;
                }
            }
        }
        return offer;
    }

    private static List<String> keys(
            UsbDeviceDescriptor d, UsbInterfaceDescriptor i, boolean vendor, boolean deviceClass, boolean ifClass) {
        int[][] g1 = vendor ? prefixes(d.idVendor(), d.idProduct(), d.bcdDevice()) : DEFAULT;
        int[][] g2 = deviceClass ? prefixes(d.bDeviceClass(), d.bDeviceSubClass(), d.bDeviceProtocol()) : DEFAULT;
        int[][] g3 = ifClass ? prefixes(i.bInterfaceClass(), i.bInterfaceSubClass(), i.bInterfaceProtocol()) : DEFAULT;
        List<String> keys = new ArrayList<>();
        for (int[] a : g1) {
            for (int[] b : g2) {
                for (int[] c : g3) {
                    keys.add(new UsbDriverSettings(a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2])
                            .loadClientsKey());
                }
            }
        }
        return keys;
    }

    private static final int NO = UsbTypes.USB_NO_INFO;
    private static final int[][] DEFAULT = {{NO, NO, NO}};

    /** {@code X_Y_Z}, {@code X_Y}, {@code X}: the reductions CE applies, most specific first. */
    private static int[][] prefixes(int x, int y, int z) {
        return new int[][] {{x, y, z}, {x, y, NO}, {x, NO, NO}};
    }
}
