package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.UsbTypes.USB_CANCELED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_IN_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_OUT_TRANSFER;
import static io.github.usbd4j.ce.UsbTypes.USB_SHORT_TRANSFER_OK;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_OBJECT_0;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_GET_STATS;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_RESET;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_TRANSACT;
import static io.github.usbd4j.samples.lbk.LbkIoctl.STATS_SIZE;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_GEN_FAILURE;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;
import static io.github.usbd4j.win32.Win32.ERROR_SHARING_VIOLATION;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import io.github.usbd4j.usb.Usb100;
import io.github.usbd4j.usb.UsbDeviceRequest;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The upper edge of the {@code LBK} driver: the stream interface of the loopback device, {@code LBK_Init}
 * ... {@code LBK_IOControl}. The device manager loads it from the {@code Dll} value {@link LbkUsbDriver}
 * writes, and passes it the {@link LbkDevice} as {@code XXX_Init}'s bus context.
 *
 * <ul>
 *   <li>{@code ReadFile}: one bulk IN transfer of up to the count, with a callback that sets an event the
 *       read waits on; reads are serialized. No data within the read timeout (the device key's
 *       {@code ReadTimeout}, 4 s by default) returns 0 bytes, as a serial port's read timeout does.
 *   <li>{@code WriteFile}: one bulk OUT transfer; the device loops the bytes back to the IN endpoint. A write
 *       the device does not take within USBD's synchronous guard (its loop buffer full) fails with
 *       {@code ERROR_TIMEOUT}; so does a {@code DeviceIoControl} whose transfer the device does not answer
 *       within the guard ({@link LbkIoctl#IOCTL_LBK_TRANSACT} writes first).
 *   <li>{@code DeviceIoControl}: {@link LbkIoctl#IOCTL_LBK_GET_STATS}, {@link LbkIoctl#IOCTL_LBK_RESET},
 *       {@link LbkIoctl#IOCTL_LBK_TRANSACT}; others fail with {@code ERROR_NOT_SUPPORTED}.
 *   <li>{@code CreateFile}: the share modes are enforced as Windows does for files; a conflict fails with
 *       {@code ERROR_SHARING_VIOLATION}.
 *   <li>Unplug: USBD cancels the transfer of a pending read, which fails with
 *       {@code ERROR_DEVICE_NOT_CONNECTED}; {@code LBK_PreDeinit} wakes any read still waiting, which aborts
 *       its transfer; {@code LBK_Deinit} closes what is left. {@code CloseHandle} during a read wakes it the
 *       same way ({@code ERROR_OPERATION_ABORTED}), also one that lands just before the read issues its
 *       transfer: the read finds the flag when it is about to wait, and aborts the transfer at once.
 * </ul>
 */
public final class LbkStream implements StreamInterfaceDriver<LbkDevice, LbkStream.Open> {
    /** The device key's value that sets how long a read waits for data, in milliseconds. */
    public static final String READ_TIMEOUT_VALNAME = "ReadTimeout";
    /** The loopback device's vendor request that empties its queues and zeroes its counters. */
    static final int REQUEST_RESET = 0x01;
    /** The loopback device's vendor request that returns its four byte counters (16 bytes). */
    static final int REQUEST_COUNTERS = 0x02;

    /** One open handle: CE's {@code LBK_OPEN}. */
    public static final class Open {
        final LbkDevice device;
        final int access;
        final int share;
        volatile boolean closing;

        Open(LbkDevice device, int access, int share) {
            this.device = device;
            this.access = access;
            this.share = share;
        }
    }

    /** A read waits this long for data unless the device key's {@code ReadTimeout} (ms) says otherwise. */
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 4000;

    private final DeviceManager dm;

    /**
     * The device manager loads the class named by {@code Dll} through this constructor.
     *
     * @param dm the device manager (CE's coredll functions: the events)
     */
    public LbkStream(DeviceManager dm) {
        this.dm = dm;
    }

    @Override
    public LbkDevice init(String context, Object busContext) {
        if (!(busContext instanceof LbkDevice d)) {
            Win32.setLastError(Win32.ERROR_INVALID_PARAMETER);
            return null; // not activated by LbkUsbDriver
        }
        ClientRegistryKey key = dm.openDeviceKey(context);
        d.readTimeout = key == null
                ? DEFAULT_READ_TIMEOUT_MILLIS
                : key.queryDword(READ_TIMEOUT_VALNAME, DEFAULT_READ_TIMEOUT_MILLIS);
        d.readEvent = dm.createEvent(null, false, false, null); // auto-reset: the callback, PreClose, PreDeinit
        d.activeKey = context;
        return d;
    }

    @Override
    public boolean preDeinit(LbkDevice d) {
        d.gone = true;
        dm.setEvent(d.readEvent); // wake a blocked reader, which aborts its transfer
        return true;
    }

    @Override
    public boolean deinit(LbkDevice d) {
        d.deinits.incrementAndGet();
        d.funcs.closePipe(d.bulkIn); // already closed after an unplug: then this fails harmlessly
        d.funcs.closePipe(d.bulkOut);
        synchronized (d.opens) {
            d.opens.clear(); // handles still open never reach the driver again (XXX_Close is not called for them)
        }
        return true;
    }

    @Override
    public Open open(LbkDevice d, int accessCode, int shareMode) {
        if (d.gone) {
            Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED);
            return null;
        }
        synchronized (d.opens) {
            for (Open o : d.opens) {
                if (conflicts(o.access, o.share, accessCode, shareMode)) {
                    Win32.setLastError(ERROR_SHARING_VIOLATION);
                    return null;
                }
            }
            Open o = new Open(d, accessCode, shareMode);
            d.opens.add(o);
            return o;
        }
    }

    /**
     * Windows' rule for files: each side's read or write access must be allowed by the other side's share
     * mode; an open without read or write access (a query handle) takes part in no conflict.
     */
    static boolean conflicts(int accessA, int shareA, int accessB, int shareB) {
        int data = GENERIC_READ | GENERIC_WRITE;
        if ((accessA & data) == 0 || (accessB & data) == 0) {
            return false;
        }
        return deniedBy(accessA, shareB) || deniedBy(accessB, shareA);
    }

    private static boolean deniedBy(int access, int share) {
        return ((access & GENERIC_READ) != 0 && (share & FILE_SHARE_READ) == 0)
                || ((access & GENERIC_WRITE) != 0 && (share & FILE_SHARE_WRITE) == 0);
    }

    @Override
    public boolean preClose(Open o) {
        o.closing = true;
        if (o.device.reader == o) {
            dm.setEvent(o.device.readEvent); // wake this handle's read, which aborts its transfer
        }
        return true;
    }

    @Override
    public boolean close(Open o) {
        synchronized (o.device.opens) {
            o.device.opens.remove(o);
        }
        return true;
    }

    @Override
    public int read(Open o, ByteBuffer buffer, int count) {
        LbkDevice d = o.device;
        d.readLock.lock();
        try {
            // published before the checks, so that a PreClose that sets its flag after them sees this read and
            // wakes it
            d.reader = o;
            if (d.gone || o.closing) {
                Win32.setLastError(d.gone ? ERROR_DEVICE_NOT_CONNECTED : ERROR_OPERATION_ABORTED);
                return -1;
            }
            if (count == 0) {
                return 0;
            }
            // with a callback, not synchronous: the read can abort its own transfer when woken, also when the
            // close came before the issue, which a synchronous transfer would wait out
            UsbTransfer t = d.funcs.issueBulkTransfer(
                    d.bulkIn, this::readDone, d, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, count, buffer, 0);
            if (t != null) {
                awaitRead(o, t);
            }
            int[] done = finish(d, t);
            if (done == null) {
                return -1;
            }
            if (done[1] == USB_CANCELED_ERROR && (o.closing || d.gone)) { // PreClose, PreDeinit or the unplug
                Win32.setLastError(o.closing ? ERROR_OPERATION_ABORTED : ERROR_DEVICE_NOT_CONNECTED);
                return -1;
            }
            if (done[0] > 0) { // a read that timed out returns what came by then, usually nothing: not counted
                d.reads.incrementAndGet();
                d.bytesRead.addAndGet(done[0]);
            }
            return done[0];
        } finally {
            d.reader = null;
            d.readLock.unlock();
        }
    }

    /** The read's transfer callback: wakes the read. */
    private int readDone(Object param) {
        dm.setEvent(((LbkDevice) param).readEvent);
        return 0;
    }

    /**
     * Waits until the read's transfer completes; on {@code LBK_PreClose}, {@code LBK_PreDeinit} or after
     * the read timeout aborts it, so that it completes now with {@code USB_CANCELED_ERROR}.
     * The flags are checked before each wait and set before the event is, so no wake-up is lost; a stale one
     * (an earlier read's callback) only goes round the loop again.
     */
    private void awaitRead(Open o, UsbTransfer t) {
        LbkDevice d = o.device;
        while (!d.funcs.isTransferComplete(t)) {
            if (o.closing || d.gone || dm.waitForSingleObject(d.readEvent, d.readTimeout) != WAIT_OBJECT_0) {
                d.funcs.abortTransfer(t, 0);
                return;
            }
        }
    }

    @Override
    public int write(Open o, ByteBuffer buffer, int numberOfBytes) {
        LbkDevice d = o.device;
        if (d.gone) {
            Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED);
            return -1;
        }
        if (numberOfBytes == 0) {
            return 0;
        }
        UsbTransfer t = d.funcs.issueBulkTransfer(d.bulkOut, null, null, USB_OUT_TRANSFER, numberOfBytes, buffer, 0);
        int[] done = finish(d, t);
        if (done == null) {
            return -1;
        }
        if (done[1] != USB_NO_ERROR) {
            Win32.setLastError(done[1] == USB_CANCELED_ERROR ? ERROR_DEVICE_NOT_CONNECTED : ERROR_GEN_FAILURE);
            return -1;
        }
        d.writes.incrementAndGet();
        d.bytesWritten.addAndGet(done[0]);
        return done[0];
    }

    /**
     * A synchronous transfer's bytes and {@code USB_ERROR}, the transfer closed; {@code null} when the issue
     * failed, with the last error set: {@code ERROR_DEVICE_NOT_CONNECTED} when the device left (USBD closes
     * the pipes before it tells the driver, so a closed pipe means the same).
     */
    private static int[] finish(LbkDevice d, UsbTransfer t) {
        if (t == null) {
            if (d.gone || Win32.getLastError() == ERROR_INVALID_HANDLE) {
                Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED);
            }
            return null;
        }
        int[] bytes = new int[1];
        int[] error = new int[1];
        d.funcs.getTransferStatus(t, bytes, error);
        d.funcs.closeTransfer(t);
        if (error[0] != USB_NO_ERROR && error[0] != USB_CANCELED_ERROR) {
            Win32.setLastError(ERROR_GEN_FAILURE);
            return null;
        }
        return new int[] {bytes[0], error[0]};
    }

    @Override
    public boolean ioControl(
            Open o, int code, ByteBuffer bufIn, int lenIn, ByteBuffer bufOut, int lenOut, int[] actualOut) {
        LbkDevice d = o.device;
        if (code == IOCTL_LBK_GET_STATS) {
            if (lenOut < STATS_SIZE) {
                Win32.setLastError(ERROR_INSUFFICIENT_BUFFER);
                return false;
            }
            int[] device = deviceCounters(d);
            if (device == null) {
                return false;
            }
            new LbkIoctl.Stats(
                            d.bytesWritten.get(),
                            d.bytesRead.get(),
                            d.writes.get(),
                            d.reads.get(),
                            device[2],
                            device[3])
                    .write(bufOut);
            if (actualOut != null) {
                actualOut[0] = STATS_SIZE;
            }
            return true;
        }
        if (code == IOCTL_LBK_RESET) {
            if ((o.access & GENERIC_WRITE) == 0) {
                Win32.setLastError(ERROR_ACCESS_DENIED); // the code asks FILE_WRITE_ACCESS; CE leaves the check to us
                return false;
            }
            if (!vendorRequest(d, REQUEST_RESET, null)) {
                return false;
            }
            d.bytesWritten.set(0);
            d.bytesRead.set(0);
            d.writes.set(0);
            d.reads.set(0);
            return true;
        }
        if (code == IOCTL_LBK_TRANSACT) {
            if ((o.access & (GENERIC_READ | GENERIC_WRITE)) != (GENERIC_READ | GENERIC_WRITE)) {
                Win32.setLastError(ERROR_ACCESS_DENIED);
                return false;
            }
            if (write(o, bufIn, lenIn) < 0) {
                return false;
            }
            int n = read(o, bufOut, lenOut);
            if (n < 0) {
                return false;
            }
            if (actualOut != null) {
                actualOut[0] = n;
            }
            return true;
        }
        Win32.setLastError(ERROR_NOT_SUPPORTED);
        return false;
    }

    /** The device's four counters (iso out, iso in, bulk out, bulk in), or {@code null} with the last error. */
    private static int[] deviceCounters(LbkDevice d) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        if (!vendorRequest(d, REQUEST_COUNTERS, b)) {
            return null;
        }
        return new int[] {b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12)};
    }

    /** A vendor request to the device on the default pipe, synchronous. */
    private static boolean vendorRequest(LbkDevice d, int request, ByteBuffer data) {
        boolean in = data != null;
        UsbDeviceRequest setup = new UsbDeviceRequest(
                (in ? Usb100.USB_REQUEST_DEVICE_TO_HOST : Usb100.USB_REQUEST_HOST_TO_DEVICE)
                        | Usb100.USB_REQUEST_VENDOR
                        | Usb100.USB_REQUEST_FOR_DEVICE,
                request,
                0,
                0,
                in ? data.remaining() : 0);
        UsbTransfer t = d.funcs.issueVendorTransfer(
                d.device, null, null, in ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : USB_OUT_TRANSFER, setup, data, 0);
        int[] done = finish(d, t);
        if (done != null && done[1] == USB_CANCELED_ERROR) {
            Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED);
            return false;
        }
        return done != null;
    }
}
