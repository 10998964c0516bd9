package io.github.usbd4j.samples.iso;

import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_OUT_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.usb.UsbDeviceRequest;
import java.nio.ByteBuffer;

/**
 * A synchronous class request the way CE's {@code usbclient.h} helper issues one: {@code IssueVendorTransfer}
 * with no callback (so USBD waits, <a href="{@docRoot}/../reference/ce-usbd.html#s1-7">§1.7</a>), {@code
 * GetTransferStatus}, {@code CloseTransfer}.
 */
public final class ControlRequests {
    private ControlRequests() {}

    /**
     * Issues a control request and waits for it.
     *
     * @param funcs the function table
     * @param device the device
     * @param request the setup packet; bit 7 of {@code bmRequestType} gives the direction
     * @param data the data stage ({@code wLength} bytes), or {@code null} when {@code wLength} is 0
     * @return bytes transferred, or -1 if the call failed or the device reported an error
     */
    public static int issue(UsbFuncs funcs, UsbHandle device, UsbDeviceRequest request, ByteBuffer data) {
        int flags = request.isDeviceToHost() ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : USB_OUT_TRANSFER;
        UsbTransfer t = funcs.issueVendorTransfer(device, null, null, flags, request, data, 0);
        if (t == null) {
            return -1;
        }
        int[] bytes = new int[1];
        int[] error = new int[1];
        funcs.getTransferStatus(t, bytes, error);
        funcs.closeTransfer(t);
        return error[0] == USB_NO_ERROR ? bytes[0] : -1;
    }
}
