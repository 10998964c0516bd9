package io.github.usbd4j.samples.lbk;

import io.github.usbd4j.ce.UsbDriverSettings;
import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.usb.UsbInterface;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * The LBK driver with its {@code USB_FUNCS} calls passing through a hook first: a test acts inside one call (closes a
 * handle, unplugs the device just before a transfer is issued) or answers it instead of USBD (hides the unplug
 * notification from the driver).
 */
final class HookedLbkDriver {
    /** What a {@link Hook} returns to let the call through to USBD's table. */
    static final Object PASS = new Object();

    /** Sees each {@code USB_FUNCS} call first. */
    interface Hook {
        /**
         * Sees one call before USBD does.
         *
         * @param method the {@code UsbFuncs} method called
         * @param args its arguments
         * @return {@link #PASS}, or the call's answer in USBD's place
         */
        Object call(Method method, Object[] args) throws Throwable;
    }

    private HookedLbkDriver() {}

    /** An LBK driver for {@code dm} whose {@code USB_FUNCS} go through {@code hook}. */
    static LbkUsbDriver create(DeviceManager dm, Hook hook) {
        return new LbkUsbDriver(dm) {
            @Override
            public boolean usbDeviceAttach(
                    UsbHandle hDevice,
                    UsbFuncs usbFuncs,
                    UsbInterface usbInterface,
                    String uniqueDriverId,
                    boolean[] acceptControl,
                    UsbDriverSettings driverSettings,
                    int unused) {
                UsbFuncs funcs = (UsbFuncs) Proxy.newProxyInstance(
                        UsbFuncs.class.getClassLoader(), new Class<?>[] {UsbFuncs.class}, (proxy, m, args) -> {
                            Object answer = hook.call(m, args);
                            if (answer != PASS) {
                                return answer;
                            }
                            try {
                                return m.invoke(usbFuncs, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
                return super.usbDeviceAttach(
                        hDevice, funcs, usbInterface, uniqueDriverId, acceptControl, driverSettings, unused);
            }
        };
    }

    /** A hook that runs {@code before[0]}, once, as the first call {@code method} is made (its name). */
    static Hook onceBefore(String method, Runnable[] before) {
        return (m, args) -> {
            if (m.getName().equals(method) && before[0] != null) {
                Runnable r = before[0];
                before[0] = null;
                r.run();
            }
            return PASS;
        };
    }
}
