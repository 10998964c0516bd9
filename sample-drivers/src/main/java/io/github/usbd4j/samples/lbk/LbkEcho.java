package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.samples.lbk.LbkIoctl.IOCTL_LBK_GET_STATS;
import static io.github.usbd4j.samples.lbk.LbkIoctl.STATS_SIZE;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An application of the {@code LBK} driver, ported from its CE form as the driver is: it opens
 * {@code LBK1:} with {@code CreateFile}, writes a message with {@code WriteFile}, reads it back with
 * {@code ReadFile} and asks the driver's statistics with {@code DeviceIoControl}.
 */
public final class LbkEcho {
    private LbkEcho() {}

    /**
     * What a run did.
     *
     * @param readBack the bytes read back, in order
     * @param stats the driver's statistics after the exchange, {@code null} if the run failed before
     * @param failedCall the CE call that failed, or {@code null}
     * @param error its {@code GetLastError()}, 0 if none failed
     */
    @SuppressWarnings("ArrayRecordComponent") // a result to read, never compared
    public record Result(byte[] readBack, LbkIoctl.Stats stats, String failedCall, int error) {
        /** {@code true} if every call succeeded. */
        public boolean ok() {
            return failedCall == null;
        }

        @Override
        public String toString() {
            return ok()
                    ? "echoed " + readBack.length + " bytes, " + stats
                    : failedCall + " failed: " + Win32.errorName(error) + " (" + error + ")";
        }
    }

    /**
     * Sends {@code message} through the device and reads it back.
     *
     * @param dm the device manager (CE's coredll functions)
     * @param deviceName e.g. {@code "LBK1:"}
     * @param message the bytes to send, at most 64 KiB (what the device queues)
     * @return what happened
     */
    public static Result echo(DeviceManager dm, String deviceName, byte[] message) {
        FileHandle h = dm.createFile(deviceName, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
        if (h == INVALID_HANDLE_VALUE) {
            return new Result(new byte[0], null, "CreateFile", Win32.getLastError());
        }
        try {
            int[] n = new int[1];
            if (!dm.writeFile(h, ByteBuffer.wrap(message), message.length, n, null)) {
                return new Result(new byte[0], null, "WriteFile", Win32.getLastError());
            }
            ByteBuffer back = ByteBuffer.allocate(message.length);
            while (back.hasRemaining()) {
                if (!dm.readFile(h, back, back.remaining(), n, null)) {
                    return new Result(read(back), null, "ReadFile", Win32.getLastError());
                }
                if (n[0] == 0) {
                    break; // the read timed out: nothing more came back
                }
                back.position(back.position() + n[0]); // ReadFile leaves the position alone, as a C pointer
            }
            ByteBuffer stats = ByteBuffer.allocate(STATS_SIZE);
            if (!dm.deviceIoControl(h, IOCTL_LBK_GET_STATS, null, 0, stats, STATS_SIZE, n, null)) {
                return new Result(read(back), null, "DeviceIoControl", Win32.getLastError());
            }
            return new Result(read(back), LbkIoctl.Stats.read(stats, 0), null, 0);
        } finally {
            dm.closeHandle(h);
        }
    }

    private static byte[] read(ByteBuffer b) {
        return Arrays.copyOfRange(b.array(), b.arrayOffset(), b.arrayOffset() + b.position());
    }
}
