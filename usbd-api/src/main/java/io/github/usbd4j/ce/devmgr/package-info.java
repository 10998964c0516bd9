/**
 * The upper edge of a CE driver: the device manager ({@code device.exe}/{@code devmgr.dll}) and the stream
 * interface, so that a USB client driver that calls {@code ActivateDeviceEx} from {@code USBDeviceAttach}
 * ports whole, and the applications that open {@code "LBK1:"} with {@code CreateFile} port with it.
 *
 * <ul>
 *   <li>{@link io.github.usbd4j.ce.devmgr.StreamInterfaceDriver}: the {@code XXX_Init} ... {@code XXX_PowerUp}
 *       entry points a stream driver implements;
 *   <li>{@link io.github.usbd4j.ce.devmgr.DeviceManager}: {@code ActivateDeviceEx}, {@code DeactivateDevice},
 *       {@code OpenDeviceKey}, the registry functions the loader reads, and the application side
 *       ({@code CreateFile}, {@code ReadFile}, {@code WriteFile}, {@code SetFilePointer},
 *       {@code DeviceIoControl}, {@code CloseHandle});
 *   <li>the constants of {@code devload.h} ({@link io.github.usbd4j.ce.devmgr.DevLoad}), {@code winbase.h}
 *       ({@link io.github.usbd4j.ce.devmgr.WinBase}) and {@code winioctl.h}
 *       ({@link io.github.usbd4j.ce.devmgr.WinIoCtl}).
 * </ul>
 *
 * <p>It is CE's, not USBD's: the device manager loads drivers of every bus, and {@code usbdi.h} does not
 * know it, so it lives beside {@link io.github.usbd4j.ce} rather than in it, and {@code io.github.usbd4j.ce}
 * never refers to it. Errors follow CE: a failing call returns {@code null}, {@code false},
 * {@link io.github.usbd4j.ce.devmgr.WinBase#INVALID_HANDLE_VALUE} or {@code -1} and sets
 * {@link io.github.usbd4j.win32.Win32#getLastError()}; no call throws. Section numbers §D1 ... §D8 in the
 * javadoc refer to the site's reference page "The CE device manager and stream drivers"
 * (reference/ce-devmgr.html), which gives the CE behaviour each method follows and its sources.
 */
package io.github.usbd4j.ce.devmgr;
