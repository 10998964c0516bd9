package io.github.usbd4j.devmgr;

import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_NOT_CONNECTED;
import static io.github.usbd4j.win32.Win32.ERROR_OPERATION_ABORTED;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The device context of the test stream drivers, passed to ActivateDeviceEx as {@code lpvParam}: each entry
 * point records itself here and behaves as the test sets. Blocking reads wait for a wake-up from
 * PreDeinit, PreClose, or (for drivers without them) Deinit and Close, bounded to 10 s.
 */
final class Probe {
    /** What the driver's XXX_Init returns: this probe, or {@code null}. */
    volatile boolean failInit;

    volatile boolean throwInit;
    /** Non-zero: XXX_Open fails with this error; -1: fails without setting one. */
    volatile int openError;

    volatile boolean throwOpen;
    /** Reads block until woken. */
    volatile boolean blockReads;
    /** Called inside XXX_IOControl, on the calling thread, before it answers. */
    volatile Consumer<Probe> onIoControl = p -> {};
    /** What XXX_Read returns when it does not block: {@code null} fills the buffer. */
    volatile Integer readResult;

    volatile boolean throwRead;

    final List<String> events = new ArrayList<>();
    final AtomicInteger inDriver = new AtomicInteger();
    final AtomicInteger maxInDriver = new AtomicInteger();
    final AtomicInteger deinits = new AtomicInteger();
    /** Set when XXX_Deinit ran while another thread was inside an entry point. */
    volatile boolean deinitWithThreadsInside;

    volatile String activeKey;
    volatile DeviceManager manager;
    final CountDownLatch readEntered = new CountDownLatch(1);
    private final CountDownLatch wake = new CountDownLatch(1);
    private volatile int wakeError;

    synchronized void event(String e) {
        events.add(e);
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    void wake(int error) {
        wakeError = error;
        wake.countDown();
    }

    void enter() {
        int n = inDriver.incrementAndGet();
        maxInDriver.accumulateAndGet(n, Math::max);
    }

    void leave() {
        inDriver.decrementAndGet();
    }

    /** The open context. */
    static final class Open {
        final Probe probe;
        final int access;
        final int share;

        Open(Probe probe, int access, int share) {
            this.probe = probe;
            this.access = access;
            this.share = share;
        }
    }

    /**
     * A stream driver with every entry point but XXX_PreDeinit and XXX_PreClose: CE then calls
     * XXX_Deinit and XXX_Close at once, which must wake blocked threads themselves.
     */
    public static class PlainDriver implements StreamInterfaceDriver<Probe, Open> {
        @Override
        public Probe init(String context, Object busContext) {
            Probe p = (Probe) busContext;
            p.event("Init " + context);
            p.activeKey = context;
            if (p.throwInit) {
                throw new IllegalStateException("init failed on purpose");
            }
            return p.failInit ? null : p;
        }

        @Override
        public boolean deinit(Probe p) {
            p.event("Deinit");
            p.deinits.incrementAndGet();
            if (p.inDriver.get() > 0) {
                p.deinitWithThreadsInside = true;
            }
            p.wake(ERROR_DEVICE_NOT_CONNECTED);
            Win32.setLastError(Win32.ERROR_INVALID_HANDLE); // as a Deinit closing pipes already closed does
            return true;
        }

        @Override
        public Open open(Probe p, int accessCode, int shareMode) {
            p.enter();
            try {
                p.event("Open " + Integer.toHexString(accessCode) + " " + shareMode);
                if (p.throwOpen) {
                    throw new IllegalStateException("open failed on purpose");
                }
                if (p.openError == -1) {
                    return null;
                }
                if (p.openError != 0) {
                    Win32.setLastError(p.openError);
                    return null;
                }
                return new Open(p, accessCode, shareMode);
            } finally {
                p.leave();
            }
        }

        @Override
        public boolean close(Open o) {
            o.probe.event("Close");
            o.probe.wake(ERROR_OPERATION_ABORTED);
            Win32.setLastError(Win32.ERROR_INVALID_HANDLE);
            return true;
        }

        @Override
        public int read(Open o, ByteBuffer buffer, int count) {
            Probe p = o.probe;
            p.enter();
            try {
                p.event("Read " + count);
                if (p.throwRead) {
                    throw new IllegalStateException("read failed on purpose");
                }
                if (p.blockReads) {
                    p.readEntered.countDown();
                    if (!p.wake.await(DeviceManagerFixture.HANG_GUARD_SECONDS, TimeUnit.SECONDS)) {
                        throw new AssertionError("the blocked read was never woken");
                    }
                    p.event("Read woken");
                    Win32.setLastError(p.wakeError);
                    return -1;
                }
                if (p.readResult != null) {
                    return p.readResult;
                }
                for (int i = 0; i < count; i++) {
                    buffer.put(i, (byte) ('a' + i % 26));
                }
                return count;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Win32.setLastError(ERROR_OPERATION_ABORTED);
                return -1;
            } finally {
                p.leave();
            }
        }

        @Override
        public int write(Open o, ByteBuffer buffer, int numberOfBytes) {
            Probe p = o.probe;
            p.enter();
            try {
                byte[] data = new byte[numberOfBytes];
                buffer.get(0, data);
                p.event("Write " + new String(data, java.nio.charset.StandardCharsets.ISO_8859_1));
                return numberOfBytes;
            } finally {
                p.leave();
            }
        }

        @Override
        public int seek(Open o, int amount, int type) {
            o.probe.event("Seek " + amount + " " + type);
            return amount + 1000 * type;
        }

        /** Answers with the input reversed into the output, then the code in the last 4 bytes if room. */
        @Override
        public boolean ioControl(
                Open o, int code, ByteBuffer bufIn, int lenIn, ByteBuffer bufOut, int lenOut, int[] actualOut) {
            Probe p = o.probe;
            p.enter();
            try {
                p.event("IOControl " + Integer.toHexString(code) + " " + lenIn + " " + lenOut);
                p.onIoControl.accept(p);
                if (lenOut < lenIn) {
                    Win32.setLastError(Win32.ERROR_INSUFFICIENT_BUFFER);
                    return false;
                }
                for (int i = 0; i < lenIn; i++) {
                    bufOut.put(i, bufIn.get(lenIn - 1 - i));
                }
                if (actualOut != null) {
                    actualOut[0] = lenIn;
                }
                return true;
            } finally {
                p.leave();
            }
        }
    }

    /** The CE pattern for blocking drivers: XXX_PreDeinit and XXX_PreClose wake the threads. */
    public static class PreDriver extends PlainDriver {
        @Override
        public boolean preDeinit(Probe p) {
            p.event("PreDeinit");
            p.wake(ERROR_DEVICE_NOT_CONNECTED);
            return true;
        }

        @Override
        public boolean preClose(Open o) {
            o.probe.event("PreClose");
            o.probe.wake(ERROR_OPERATION_ABORTED);
            return true;
        }
    }

    /** A driver whose constructor takes the device manager, which XXX_Init reads the device key with. */
    public static class ManagerAwareDriver extends PreDriver {
        private final DeviceManager manager;

        public ManagerAwareDriver(DeviceManager manager) {
            this.manager = manager;
        }

        @Override
        public Probe init(String context, Object busContext) {
            Probe p = super.init(context, busContext);
            p.manager = manager;
            return p;
        }
    }

    /** Only XXX_Init and XXX_Deinit: enough for a device without prefix, too little for a named one. */
    public static class InitOnlyDriver implements StreamInterfaceDriver<Probe, Object> {
        @Override
        public Probe init(String context, Object busContext) {
            Probe p = busContext instanceof Probe given ? given : new Probe(); // ActivateDevice passes none
            p.event("Init " + context);
            return p;
        }

        @Override
        public boolean deinit(Probe p) {
            p.event("Deinit");
            p.deinits.incrementAndGet();
            return true;
        }
    }

    /** XXX_PreClose without XXX_PreDeinit: CE refuses to load it. */
    public static class PreCloseOnlyDriver extends PlainDriver {
        @Override
        public boolean preClose(Open o) {
            return true;
        }
    }

    /** Open, close and read only: no write, seek or control entry points. */
    public static class ReadOnlyDriver implements StreamInterfaceDriver<Probe, Open> {
        private final PlainDriver plain = new PlainDriver();

        @Override
        public Probe init(String context, Object busContext) {
            return plain.init(context, busContext);
        }

        @Override
        public boolean deinit(Probe p) {
            return plain.deinit(p);
        }

        @Override
        public Open open(Probe p, int accessCode, int shareMode) {
            return plain.open(p, accessCode, shareMode);
        }

        @Override
        public boolean close(Open o) {
            return plain.close(o);
        }

        @Override
        public int read(Open o, ByteBuffer buffer, int count) {
            return plain.read(o, buffer, count);
        }
    }

    /** Not a stream driver. */
    public static class NotADriver {}
}
