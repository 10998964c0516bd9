package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.FILE_SHARE_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_WRITE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_SET_FILE_POINTER;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_ALWAYS;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.MARK;
import static io.github.usbd4j.win32.Win32.ERROR_DEV_NOT_EXIST;
import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_GEN_FAILURE;
import static io.github.usbd4j.win32.Win32.ERROR_INSUFFICIENT_BUFFER;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_ACCESS;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_HANDLE_STATE;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_PARAMETER;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_SUPPORTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzz of the application side's argument space (reference page of the device manager,
 * [§D5](reference/ce-devmgr.html#d5) and [§D6](reference/ce-devmgr.html#d6)): random names, access and
 * share modes, dispositions, buffers (none, short, read-only, direct, at an offset), counts, out-arrays and
 * handles (open, closed, of a deactivated device, of another device manager, made up), with the device
 * deactivated and activated again in between. A model predicts each call: a call whose arguments break
 * several rules fails with one of their errors, a call that breaks none succeeds, leaves the last error as
 * it was and moves exactly the bytes the driver moved; nothing throws. {@code -Dusbd4j.devmgr.fuzz.seed=S}
 * and {@code -Dusbd4j.devmgr.fuzz.calls=N} run others.
 */
class DeviceFilesFuzzTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();
    private final DeviceManagerFixture other = new DeviceManagerFixture();

    @AfterEach
    void close() {
        other.close();
        f.close();
    }

    /** What the test knows of a handle it holds. */
    private record Held(FileHandle handle, int access, int generation, boolean closed) {}

    private String devKey;
    private ActivationHandle device;
    private Probe probe;
    /** Bumped at each activation: handles of an earlier one are stale. */
    private int generation;

    private final List<Held> held = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long seed;
    private int step;

    @Test
    void randomArguments_failWithTheirErrors_orSucceedExactly() {
        seed = Long.getLong("usbd4j.devmgr.fuzz.seed", 0x5EEDL);
        int calls = Integer.getInteger("usbd4j.devmgr.fuzz.calls", 4000);
        Random random = new Random(seed);
        devKey = f.deviceKey("Fuzz", Probe.PreDriver.class, "FUZ");
        activate();
        for (step = 0; step < calls && problems.size() < 20; step++) {
            Win32.setLastError(MARK);
            try {
                switch (random.nextInt(12)) {
                    case 0, 1 -> createFile(random);
                    case 2, 3 -> transfer(random, true);
                    case 4 -> transfer(random, false);
                    case 5, 6 -> ioControl(random);
                    case 7 -> seek(random);
                    case 8 -> closeHandle(random);
                    case 9 -> {
                        if (random.nextInt(8) == 0) {
                            replug();
                        }
                    }
                    default -> createFile(random);
                }
            } catch (RuntimeException | Error e) {
                problems.add(where() + e + " escaped");
            }
        }
        assertThat(problems).as("seed %d", seed).isEmpty();
    }

    private String where() {
        return "seed " + seed + " step " + step + ": ";
    }

    private void activate() {
        probe = new Probe();
        device = f.dm.activateDeviceEx(devKey, null, 0, probe);
        assertThat(device).isNotNull();
        generation++;
    }

    /** The device leaves and comes back under the same name; earlier handles must stay dead. */
    private void replug() {
        assertThat(f.dm.deactivateDevice(device)).isTrue();
        activate();
    }

    private boolean usable(Held h) {
        return !h.closed && h.generation == generation;
    }

    private void createFile(Random random) {
        String[] good = {"FUZ1:", "fuz1:", "Fuz1:", "\\$device\\FUZ1", "\\$DEVICE\\fuz1"};
        String[] absent = {"FUZ2:", "FUZ0:", "XYZ1:", "\\$device\\FUZ2", "\\$device\\FUZ01", "FUZ9:"};
        String[] notDevice = {"FUZ1", "FUZ:", "FUZ1::", "FUZ10:", "", "\\$device\\", "\\$device\\FU", "C:\\x", ":"};
        int kind = random.nextInt(10);
        String name;
        int expected;
        if (kind < 6) {
            name = good[random.nextInt(good.length)];
            expected = 0;
        } else if (kind < 8) {
            name = absent[random.nextInt(absent.length)];
            expected = ERROR_DEV_NOT_EXIST;
        } else if (kind < 9) {
            name = notDevice[random.nextInt(notDevice.length)];
            expected = ERROR_FILE_NOT_FOUND;
        } else {
            name = null;
            expected = ERROR_INVALID_PARAMETER;
        }
        int[] accesses = {0, GENERIC_READ, GENERIC_WRITE, GENERIC_READ | GENERIC_WRITE, random.nextInt()};
        int access = accesses[random.nextInt(accesses.length)];
        int share =
                random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(4) & (FILE_SHARE_READ | FILE_SHARE_WRITE);
        int disposition = random.nextInt(4) == 0 ? random.nextInt(8) : OPEN_EXISTING;
        Object security = random.nextInt(12) == 0 ? new Object() : null;
        Object template = random.nextInt(12) == 0 ? new Object() : null;
        Set<Integer> errors = new HashSet<>();
        if (name == null
                || security != null
                || template != null
                || (disposition != OPEN_EXISTING && disposition != OPEN_ALWAYS)) {
            errors.add(ERROR_INVALID_PARAMETER);
        }
        if (expected != 0) {
            errors.add(expected);
        }
        FileHandle h = f.dm.createFile(name, access, share, security, disposition, random.nextInt(), template);
        String call = "CreateFile(" + name + ", " + Integer.toHexString(access) + ", disposition " + disposition + ")";
        if (check(call, h != INVALID_HANDLE_VALUE && h != null, errors)) {
            held.add(new Held(h, access, generation, false));
        }
    }

    /** A handle: mostly one held, sometimes one that was never valid here. */
    private Held handle(Random random) {
        int k = random.nextInt(20);
        if (held.isEmpty() || k == 0) {
            FileHandle[] bogus = {null, INVALID_HANDLE_VALUE, new FileHandle() {}, foreignHandle()};
            return new Held(bogus[random.nextInt(bogus.length)], 0, -1, true);
        }
        return held.get(random.nextInt(held.size()));
    }

    private FileHandle foreignHandle() {
        if (other.dm.activeDevices().isEmpty()) {
            other.dm.activateDeviceEx(other.deviceKey("Fuzz", Probe.PreDriver.class, "FUZ"), null, 0, new Probe());
        }
        return other.dm.createFile("FUZ1:", GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    }

    /** The errors of the handle alone: unknown or closed, or its device gone. */
    private Set<Integer> handleErrors(Held h) {
        Set<Integer> errors = new HashSet<>();
        if (h.closed) {
            errors.add(ERROR_INVALID_HANDLE);
        } else if (h.generation != generation) {
            errors.add(ERROR_INVALID_HANDLE_STATE);
        }
        return errors;
    }

    /** A buffer: none, heap or direct, read-only or not, at a random position. */
    private static ByteBuffer buffer(Random random) {
        if (random.nextInt(10) == 0) {
            return null;
        }
        int capacity = random.nextInt(40);
        ByteBuffer b = random.nextBoolean() ? ByteBuffer.allocate(capacity) : ByteBuffer.allocateDirect(capacity);
        b.position(capacity == 0 ? 0 : random.nextInt(capacity + 1));
        if (random.nextInt(4) == 0) {
            b.limit(b.position() + random.nextInt(b.remaining() + 1));
        }
        return random.nextInt(6) == 0 ? b.asReadOnlyBuffer() : b;
    }

    /** A count around the buffer's size, sometimes negative or huge. */
    private static int count(Random random, ByteBuffer b) {
        int k = random.nextInt(12);
        if (k == 0) {
            return -1 - random.nextInt(3);
        }
        if (k == 1) {
            return Integer.MAX_VALUE - random.nextInt(2);
        }
        if (k == 2) {
            return 0;
        }
        int room = b == null ? 0 : b.remaining();
        return Math.max(0, room - 2 + random.nextInt(4));
    }

    /** {@code true} if {@code count} bytes of {@code b} are a valid buffer of that size. */
    private static boolean fits(ByteBuffer b, int count, boolean driverWrites) {
        if (count < 0) {
            return false;
        }
        if (count == 0) {
            return true;
        }
        return b != null && b.remaining() >= count && !(driverWrites && b.isReadOnly());
    }

    private void transfer(Random random, boolean read) {
        Held h = handle(random);
        ByteBuffer b = buffer(random);
        int count = count(random, b);
        int[][] outs = {null, new int[0], new int[] {77}, new int[] {77, 88}};
        int[] done = outs[1 + random.nextInt(3)];
        if (random.nextInt(10) == 0) {
            done = null;
        }
        Object overlapped = random.nextInt(15) == 0 ? new Object() : null;
        Set<Integer> errors = handleErrors(h);
        if (overlapped != null) {
            errors.add(ERROR_NOT_SUPPORTED);
        }
        if (usable(h) && (h.access & (read ? GENERIC_READ : GENERIC_WRITE)) == 0) {
            errors.add(ERROR_INVALID_ACCESS);
        }
        if (!fits(b, count, read) || done == null || done.length == 0) {
            errors.add(ERROR_INVALID_PARAMETER);
        }
        int position = b == null ? 0 : b.position();
        int limit = b == null ? 0 : b.limit();
        boolean ok = read
                ? f.dm.readFile(h.handle, b, count, done, overlapped)
                : f.dm.writeFile(h.handle, b, count, done, overlapped);
        String call = (read ? "ReadFile(" : "WriteFile(") + h.handle + ", " + b + ", " + count + ")";
        check(call, ok, errors);
        if (done != null && done.length > 0 && done[0] != (ok ? count : 0)) {
            problems.add(where() + call + " reported " + done[0] + " bytes");
        }
        if (b != null && (b.position() != position || b.limit() != limit)) {
            problems.add(where() + call + " moved the buffer: " + b);
        }
        if (ok && read) {
            for (int i = 0; i < count; i++) {
                if (b.get(position + i) != (byte) ('a' + i % 26)) {
                    problems.add(where() + call + " byte " + i + " is not the driver's");
                    break;
                }
            }
        }
    }

    private void ioControl(Random random) {
        Held h = handle(random);
        ByteBuffer in = buffer(random);
        ByteBuffer out = buffer(random);
        int inSize = count(random, in);
        int outSize = random.nextInt(4) == 0 ? inSize : count(random, out);
        int[] returned = random.nextInt(4) == 0 ? null : random.nextInt(6) == 0 ? new int[0] : new int[] {55};
        Object overlapped = random.nextInt(15) == 0 ? new Object() : null;
        int code = random.nextInt();
        for (int i = 0; in != null && !in.isReadOnly() && i < in.remaining(); i++) {
            in.put(in.position() + i, (byte) (i * 7 + 1));
        }
        Set<Integer> errors = handleErrors(h);
        if (overlapped != null) {
            errors.add(ERROR_NOT_SUPPORTED);
        }
        boolean badArguments =
                !fits(in, inSize, false) || !fits(out, outSize, true) || (returned != null && returned.length == 0);
        if (badArguments) {
            errors.add(ERROR_INVALID_PARAMETER);
        }
        if (errors.isEmpty() && outSize < inSize) {
            errors.add(ERROR_INSUFFICIENT_BUFFER); // the probe's own answer
        }
        boolean ok = f.dm.deviceIoControl(h.handle, code, in, inSize, out, outSize, returned, overlapped);
        String call =
                "DeviceIoControl(" + h.handle + ", in " + in + " " + inSize + ", out " + out + " " + outSize + ")";
        check(call, ok, errors);
        if (ok && returned != null && returned[0] != inSize) {
            problems.add(where() + call + " returned " + returned[0] + " bytes");
        }
        if (ok) {
            for (int i = 0; i < inSize; i++) {
                if (out.get(out.position() + i) != in.get(in.position() + inSize - 1 - i)) {
                    problems.add(where() + call + " out byte " + i + " is not the driver's");
                    break;
                }
            }
        }
    }

    private void seek(Random random) {
        Held h = handle(random);
        int amount = random.nextInt(2000) - 1000;
        int method = random.nextInt(5) - 1;
        Set<Integer> errors = handleErrors(h);
        int expected = amount + 1000 * method; // the probe's answer
        if (errors.isEmpty() && expected == INVALID_SET_FILE_POINTER) {
            errors.add(ERROR_GEN_FAILURE); // -1 is the failure value, and the probe set no error
        }
        int position = f.dm.setFilePointer(h.handle, amount, random.nextBoolean() ? null : new int[1], method);
        String call = "SetFilePointer(" + h.handle + ", " + amount + ", " + method + ")";
        if (check(call, position != INVALID_SET_FILE_POINTER, errors) && position != expected) {
            problems.add(where() + call + " = " + position + ", the driver said " + expected);
        }
    }

    private void closeHandle(Random random) {
        Held h = handle(random);
        Set<Integer> errors = new HashSet<>();
        if (h.closed) {
            errors.add(ERROR_INVALID_HANDLE);
        }
        boolean ok = f.dm.closeHandle(h.handle);
        check("CloseHandle(" + h.handle + ")", ok, errors);
        int i = held.indexOf(h);
        if (i >= 0) {
            held.set(i, new Held(h.handle, h.access, h.generation, true));
        }
    }

    /**
     * A call with no broken rule must succeed and keep the last error; one with broken rules must fail with
     * the error of one of them.
     */
    private boolean check(String call, boolean ok, Set<Integer> errors) {
        int error = Win32.getLastError();
        if (errors.isEmpty()) {
            if (!ok) {
                problems.add(where() + call + " failed with " + Win32.errorName(error));
            } else if (error != MARK) {
                problems.add(where() + call + " succeeded but set the last error " + Win32.errorName(error));
            }
        } else if (ok) {
            problems.add(where() + call + " succeeded; expected one of " + names(errors));
        } else if (!errors.contains(error)) {
            problems.add(
                    where() + call + " failed with " + Win32.errorName(error) + "; expected one of " + names(errors));
        }
        return ok;
    }

    private static String names(Set<Integer> errors) {
        List<String> out = new ArrayList<>();
        for (int e : errors) {
            out.add(Win32.errorName(e));
        }
        out.sort(null);
        return String.join("|", out).toUpperCase(Locale.ROOT);
    }
}
