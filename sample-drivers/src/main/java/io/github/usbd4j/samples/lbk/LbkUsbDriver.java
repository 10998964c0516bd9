package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.UsbTypes.USB_CLOSE_DEVICE;
import static io.github.usbd4j.ce.UsbTypes.USB_MAX_LOAD_STRING;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_INFO;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DLLNAME_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_PREFIX_VALNAME;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.UsbClientDriver;
import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import io.github.usbd4j.win32.Win32;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The lower edge of the {@code LBK} driver, a CE USB client driver with a stream interface: it takes
 * interface 1 of the loopback device 1209:0001 (bulk OUT 0x02, bulk IN 0x82), opens the two pipes and
 * loads its stream interface ({@link LbkStream}) with {@code ActivateDeviceEx}, which names the device
 * {@code LBK1:}, {@code LBK2:}, ...; on {@code USB_CLOSE_DEVICE} it deactivates it. Applications then
 * reach the device with {@code CreateFile("LBK1:")} (see {@link LbkEcho}).
 *
 * <p>Its registry key, {@code Drivers\USB\ClientDrivers\LbkLoopback}, holds the stream driver's
 * {@code Prefix} ({@code LBK}) and {@code Dll} ({@link LbkStream}); a CE driver writes them in
 * {@code USBInstallDriver}, this one on its first attach, when the runtime has created the key. Values
 * already there (an {@code Index}, another prefix) are kept.
 */
public class LbkUsbDriver implements UsbClientDriver {
    /** The driver ID it registers under. */
    public static final String DRIVER_ID = "LbkLoopback";
    /** The loopback device. */
    public static final int VENDOR_ID = 0x1209;
    /** The loopback device. */
    public static final int PRODUCT_ID = 0x0001;
    /** The bulk interface of the loopback device. */
    public static final int INTERFACE = 1;

    private final DeviceManager deviceManager;
    private final List<LbkDevice> devices = new CopyOnWriteArrayList<>();

    /**
     * @param deviceManager the device manager it activates its devices with (CE's coredll functions)
     */
    public LbkUsbDriver(DeviceManager deviceManager) {
        this.deviceManager = deviceManager;
    }

    /** The settings to register it under: vendor-specific interfaces of the loopback device. */
    public static UsbDriverSettings settings() {
        return UsbDriverSettings.forVendor(VENDOR_ID, PRODUCT_ID).withInterfaceClass(0xFF, USB_NO_INFO, USB_NO_INFO);
    }

    /** The devices it has taken, in attach order, including unplugged ones. */
    public List<LbkDevice> devices() {
        return List.copyOf(devices);
    }

    @Override
    public boolean usbDeviceAttach(
            UsbHandle hDevice,
            UsbFuncs usbFuncs,
            UsbInterface usbInterface,
            String uniqueDriverId,
            boolean[] acceptControl,
            UsbDriverSettings driverSettings,
            int unused) {
        acceptControl[0] = false;
        if (usbInterface == null || usbInterface.descriptor().bInterfaceNumber() != INTERFACE) {
            return true; // interface 0 is the isochronous one: leave it to another driver
        }
        UsbPipe out = null;
        UsbPipe in = null;
        for (UsbEndpoint ep : usbInterface.endpoints()) {
            if (ep.descriptor().isIn()) {
                in = usbFuncs.openPipe(hDevice, ep.descriptor());
            } else {
                out = usbFuncs.openPipe(hDevice, ep.descriptor());
            }
        }
        if (in == null || out == null) {
            closePipes(usbFuncs, in, out);
            return true;
        }
        String devKey = deviceKey(usbFuncs, uniqueDriverId);
        LbkDevice d = new LbkDevice(usbFuncs, hDevice, out, in);
        d.stream = deviceManager.activateDeviceEx(devKey, null, 0, d); // LBK_Init(activeKey, d)
        if (d.stream == null) {
            System.err.println(
                    "LbkLoopback: ActivateDeviceEx(" + devKey + ") failed: " + Win32.errorName(Win32.getLastError()));
            closePipes(usbFuncs, in, out);
            return true;
        }
        usbFuncs.registerNotificationRoutine(hDevice, this::deviceNotify, d);
        devices.add(d);
        acceptControl[0] = true;
        return true;
    }

    /** The device key: this driver's client key, with the stream driver's values written on first use. */
    private static String deviceKey(UsbFuncs usbFuncs, String uniqueDriverId) {
        ClientRegistryKey key = usbFuncs.openClientRegistryKey(uniqueDriverId);
        if (key.queryString(DEVLOAD_DLLNAME_VALNAME) == null) {
            key.setString(DEVLOAD_PREFIX_VALNAME, LbkIoctl.PREFIX);
            key.setString(DEVLOAD_DLLNAME_VALNAME, LbkStream.class.getName());
        }
        char[] path = new char[USB_MAX_LOAD_STRING];
        usbFuncs.getClientRegistryPath(path, path.length, uniqueDriverId);
        return new String(path, 0, new String(path).indexOf('\0'));
    }

    /** The LPDEVICE_NOTIFY_ROUTINE: on unplug, USBD has closed the pipes already; unload the stream side. */
    private boolean deviceNotify(Object ctx, int code, int[] i1, int[] i2, int[] i3, int[] i4) {
        if (code != USB_CLOSE_DEVICE) {
            return false;
        }
        LbkDevice d = (LbkDevice) ctx;
        d.gone = true;
        deviceManager.deactivateDevice(d.stream); // LBK_PreDeinit now, LBK_Deinit when the last caller has left
        return true;
    }

    private static void closePipes(UsbFuncs usbFuncs, UsbPipe... pipes) {
        for (UsbPipe p : pipes) {
            if (p != null) {
                usbFuncs.closePipe(p);
            }
        }
    }
}
