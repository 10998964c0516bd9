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
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_FAILED;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_OBJECT_0;
import static io.github.usbd4j.ce.devmgr.WinBase.WAIT_TIMEOUT;
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
import static io.github.usbd4j.win32.Win32.ERROR_TIMEOUT;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.TransferNotifyRoutine;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.EventHandle;
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
 *   <li>{@code ReadFile}: one bulk IN transfer of up to the count. No data within the read timeout (the device
 *       key's {@code ReadTimeout}, 4 s by default) returns what came by then, usually 0 bytes, as a serial port's
 *       read timeout does.
 *   <li>{@code WriteFile}: one bulk OUT transfer; the device loops the bytes back to the IN endpoint. A write the
 *       device does not take within the write timeout (the device key's {@code WriteTimeout}, 4 s by default, as
 *       USBD's synchronous guard; its loop buffer full) returns the bytes it took, or fails with
 *       {@code ERROR_TIMEOUT} when it took none.
 *   <li>{@code DeviceIoControl}: {@link LbkIoctl#IOCTL_LBK_GET_STATS}, {@link LbkIoctl#IOCTL_LBK_RESET} (each a
 *       vendor request, which fails with {@code ERROR_TIMEOUT} when the device does not answer within the write
 *       timeout), {@link LbkIoctl#IOCTL_LBK_TRANSACT} (a write, then a read); others fail with
 *       {@code ERROR_NOT_SUPPORTED}.
 *   <li>{@code CreateFile}: the share modes are enforced as Windows does for files; a conflict fails with
 *       {@code ERROR_SHARING_VIOLATION}.
 *   <li>Every transfer is issued with a callback and waited for on an event of its own, in one function, so
 *       that whatever ends the call ends the wait at once, on any thread, a transfer callback's included:
 *       {@code CloseHandle} ({@code LBK_PreClose}) fails the handle's pending calls with
 *       {@code ERROR_OPERATION_ABORTED}; an unplug (USBD cancels the transfers), {@code LBK_PreDeinit} or
 *       closing the runtime fail every pending call with {@code ERROR_DEVICE_NOT_CONNECTED}. The call aborts
 *       its own transfer, also when the close or unplug lands just before the transfer is issued. Nothing
 *       serializes the calls: USBD queues the transfers of a pipe in order.
 *   <li>{@code LBK_Deinit} closes what is left.
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

    /**
     * One call waiting for its transfer (CE: a driver's per-request event): its handle, whether it reads, and
     * the event that its transfer's callback, {@code LBK_PreClose} and {@code LBK_PreDeinit} set.
     */
    static final class Pending {
        final Open owner;
        final boolean read;
        final EventHandle wake;

        Pending(Open owner, boolean read, EventHandle wake) {
            this.owner = owner;
            this.read = read;
            this.wake = wake;
        }
    }

    /** A read waits this long for data unless the device key's {@code ReadTimeout} (ms) says otherwise. */
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 4000;
    /** The device key's value that sets how long a write or a control request waits, in milliseconds. */
    public static final String WRITE_TIMEOUT_VALNAME = "WriteTimeout";
    /** A write waits this long unless the device key's {@code WriteTimeout} (ms) says otherwise: USBD's guard. */
    public static final int DEFAULT_WRITE_TIMEOUT_MILLIS = 4000;

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
        d.writeTimeout = key == null
                ? DEFAULT_WRITE_TIMEOUT_MILLIS
                : key.queryDword(WRITE_TIMEOUT_VALNAME, DEFAULT_WRITE_TIMEOUT_MILLIS);
        d.activeKey = context;
        return d;
    }

    @Override
    public boolean preDeinit(LbkDevice d) {
        d.gone = true;
        wake(d, null); // every call waiting in the driver, which aborts its transfer
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
        wake(o.device, o); // this handle's calls waiting in the driver, which abort their transfers
        return true;
    }

    @Override
    public boolean close(Open o) {
        synchronized (o.device.opens) {
            o.device.opens.remove(o);
        }
        return true;
    }

    /** Sets the events of the calls waiting in the driver: those of {@code owner}, or all for {@code null}. */
    private void wake(LbkDevice d, Open owner) {
        synchronized (d.pending) {
            for (Pending p : d.pending) {
                if (owner == null || p.owner == owner) {
                    dm.setEvent(p.wake);
                }
            }
        }
    }

    @Override
    public int read(Open o, ByteBuffer buffer, int count) {
        LbkDevice d = o.device;
        if (count == 0) {
            return ended(o) ? -1 : 0;
        }
        Done done = transfer(
                o,
                true,
                d.readTimeout,
                (callback, wake) -> d.funcs.issueBulkTransfer(
                        d.bulkIn, callback, wake, USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK, count, buffer, 0));
        if (done == null) {
            return -1;
        }
        if (done.bytes() > 0) { // a read that timed out returns what came by then: nothing is not counted
            d.reads.incrementAndGet();
            d.bytesRead.addAndGet(done.bytes());
        }
        return done.bytes();
    }

    @Override
    public int write(Open o, ByteBuffer buffer, int numberOfBytes) {
        LbkDevice d = o.device;
        if (numberOfBytes == 0) {
            return ended(o) ? -1 : 0;
        }
        Done done = transfer(
                o,
                false,
                d.writeTimeout,
                (callback, wake) -> d.funcs.issueBulkTransfer(
                        d.bulkOut, callback, wake, USB_OUT_TRANSFER, numberOfBytes, buffer, 0));
        if (done == null) {
            return -1;
        }
        if (done.timedOut() && done.bytes() == 0) {
            Win32.setLastError(ERROR_TIMEOUT);
            return -1;
        }
        d.writes.incrementAndGet(); // a write that timed out returns the bytes the device took: a short write
        d.bytesWritten.addAndGet(done.bytes());
        return done.bytes();
    }

    /** Issues a transfer with the callback and parameter given: the read's, the write's or a control request. */
    @FunctionalInterface
    private interface Issue {
        UsbTransfer issue(TransferNotifyRoutine callback, EventHandle wake);
    }

    /**
     * How a transfer ended: the bytes moved, and whether the call's timeout aborted it first.
     *
     * @param bytes bytes moved
     * @param timedOut {@code true} if the timeout aborted it before it completed
     */
    private record Done(int bytes, boolean timedOut) {}

    /**
     * The one way the driver's calls move data: issues the transfer with a callback that sets an event of this
     * call's own, and waits on the event. Woken by {@code LBK_PreClose} of the handle, by {@code LBK_PreDeinit},
     * or after {@code timeoutMillis}, it aborts its transfer, which then completes at once with
     * {@code USB_CANCELED_ERROR}. The call is listed in {@link LbkDevice#pending} before it checks the flags, and
     * the pre-entry points set their flag before they look at the list, so a close or unplug that lands just
     * before the transfer is issued still ends the call: a synchronous transfer would wait out USBD's guard.
     *
     * @return how it ended, or {@code null} with the last error set: {@code ERROR_OPERATION_ABORTED} (the handle
     *     was closed), {@code ERROR_DEVICE_NOT_CONNECTED} (the device left), {@code ERROR_GEN_FAILURE}, or the
     *     error of the issue or of the wait
     */
    private Done transfer(Open o, boolean read, int timeoutMillis, Issue issue) {
        LbkDevice d = o.device;
        Pending p = new Pending(o, read, dm.createEvent(null, false, false, null));
        synchronized (d.pending) {
            d.pending.add(p);
        }
        try {
            if (ended(o)) {
                return null;
            }
            UsbTransfer t = issue.issue(this::transferDone, p.wake);
            if (t == null) {
                if (!ended(o) && Win32.getLastError() == ERROR_INVALID_HANDLE) {
                    Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED); // USBD closed the pipes before it told us
                }
                return null;
            }
            boolean timedOut = false;
            int waitError = 0;
            while (!d.funcs.isTransferComplete(t)) {
                if (o.closing || d.gone) {
                    d.funcs.abortTransfer(t, 0);
                    break;
                }
                int wait = dm.waitForSingleObject(p.wake, timeoutMillis);
                if (wait != WAIT_OBJECT_0) {
                    timedOut = wait == WAIT_TIMEOUT;
                    waitError = wait == WAIT_FAILED ? Win32.getLastError() : 0; // a thread that may not wait here
                    d.funcs.abortTransfer(t, 0);
                    break;
                }
            }
            int[] bytes = new int[1];
            int[] error = new int[1];
            d.funcs.getTransferStatus(t, bytes, error);
            d.funcs.closeTransfer(t);
            if (error[0] == USB_NO_ERROR) {
                return new Done(bytes[0], false);
            }
            if (error[0] != USB_CANCELED_ERROR) {
                Win32.setLastError(ERROR_GEN_FAILURE);
                return null;
            }
            if (ended(o)) {
                return null;
            }
            if (waitError != 0) {
                Win32.setLastError(waitError);
                return null;
            }
            if (!timedOut) { // cancelled by USBD, not by this call: the device left before it told the driver
                Win32.setLastError(ERROR_DEVICE_NOT_CONNECTED);
                return null;
            }
            return new Done(bytes[0], true);
        } finally {
            synchronized (d.pending) {
                d.pending.remove(p);
            }
        }
    }

    /** Every transfer's callback: wakes the call that waits for it. */
    private int transferDone(Object wake) {
        dm.setEvent((EventHandle) wake);
        return 0;
    }

    /**
     * The rule for a call that something ended: {@code true}, with the last error set, if the handle is being
     * closed ({@code ERROR_OPERATION_ABORTED}: the application's own close comes first) or the device left
     * ({@code ERROR_DEVICE_NOT_CONNECTED}).
     */
    private static boolean ended(Open o) {
        if (!o.closing && !o.device.gone) {
            return false;
        }
        Win32.setLastError(o.closing ? ERROR_OPERATION_ABORTED : ERROR_DEVICE_NOT_CONNECTED);
        return true;
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
            int[] device = deviceCounters(o);
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
            if (!vendorRequest(o, REQUEST_RESET, null)) {
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
    private int[] deviceCounters(Open o) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        if (!vendorRequest(o, REQUEST_COUNTERS, b)) {
            return null;
        }
        return new int[] {b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12)};
    }

    /** A vendor request to the device on the default pipe, waited for as a write is. */
    private boolean vendorRequest(Open o, int request, ByteBuffer data) {
        LbkDevice d = o.device;
        boolean in = data != null;
        UsbDeviceRequest setup = new UsbDeviceRequest(
                (in ? Usb100.USB_REQUEST_DEVICE_TO_HOST : Usb100.USB_REQUEST_HOST_TO_DEVICE)
                        | Usb100.USB_REQUEST_VENDOR
                        | Usb100.USB_REQUEST_FOR_DEVICE,
                request,
                0,
                0,
                in ? data.remaining() : 0);
        int flags = in ? USB_IN_TRANSFER | USB_SHORT_TRANSFER_OK : USB_OUT_TRANSFER;
        Done done = transfer(
                o,
                false,
                d.writeTimeout,
                (callback, wake) -> d.funcs.issueVendorTransfer(d.device, callback, wake, flags, setup, data, 0));
        if (done != null && done.timedOut()) {
            Win32.setLastError(ERROR_TIMEOUT);
            return false;
        }
        return done != null;
    }
}
