package io.github.usbd4j.win32;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Win32}: the winerror.h codes USBD sets (usb-iso-apis.md §1.7, §1.8, §1.10, §2.6) and the per-thread last error. */
class Win32Test {

    /** The codes the spec names, with the § that names them. Values are the standard winerror.h ones. */
    private static final Map<String, Integer> SPEC_CODES = new LinkedHashMap<>();

    /** The other codes Win32 declares; standard winerror.h values (not in the spec). */
    private static final Map<String, Integer> WINERROR_H_CODES = new LinkedHashMap<>();

    static {
        SPEC_CODES.put("ERROR_INVALID_HANDLE", 6); // §1.7, §1.10, §2.6
        SPEC_CODES.put("ERROR_NOT_ENOUGH_MEMORY", 8); // §2.6
        SPEC_CODES.put("ERROR_OUTOFMEMORY", 14); // §1.7, §1.10
        SPEC_CODES.put("ERROR_GEN_FAILURE", 31); // §2.6
        SPEC_CODES.put("ERROR_INVALID_PARAMETER", 87); // §1.7, §1.8, §2.6
        SPEC_CODES.put("ERROR_BUSY", 170); // §1.10
        SPEC_CODES.put("ERROR_NO_MORE_ITEMS", 259); // §2.6
        SPEC_CODES.put("ERROR_IO_PENDING", 997); // §2.6
        SPEC_CODES.put("ERROR_CAN_NOT_COMPLETE", 1003); // §1.7, §1.8
        SPEC_CODES.put("ERROR_INVALID_USER_BUFFER", 1784); // §1.7

        WINERROR_H_CODES.put("ERROR_SUCCESS", 0);
        WINERROR_H_CODES.put("ERROR_INVALID_FUNCTION", 1);
        WINERROR_H_CODES.put("ERROR_FILE_NOT_FOUND", 2);
        WINERROR_H_CODES.put("ERROR_ACCESS_DENIED", 5);
        WINERROR_H_CODES.put("ERROR_NOT_READY", 21);
        WINERROR_H_CODES.put("ERROR_NOT_SUPPORTED", 50);
        WINERROR_H_CODES.put("ERROR_SEM_TIMEOUT", 121);
        WINERROR_H_CODES.put("ERROR_INSUFFICIENT_BUFFER", 122);
        WINERROR_H_CODES.put("ERROR_ALREADY_EXISTS", 183);
        WINERROR_H_CODES.put("ERROR_OPERATION_ABORTED", 995);
        WINERROR_H_CODES.put("ERROR_IO_INCOMPLETE", 996);
        WINERROR_H_CODES.put("ERROR_DEVICE_NOT_CONNECTED", 1167);
        WINERROR_H_CODES.put("ERROR_NOT_FOUND", 1168);
        WINERROR_H_CODES.put("ERROR_TIMEOUT", 1460);
        // the device manager's (reference page of the CE device manager, §D3 to §D6)
        WINERROR_H_CODES.put("ERROR_INVALID_ACCESS", 12);
        WINERROR_H_CODES.put("ERROR_SHARING_VIOLATION", 32);
        WINERROR_H_CODES.put("ERROR_DEV_NOT_EXIST", 55);
        WINERROR_H_CODES.put("ERROR_OPEN_FAILED", 110);
        WINERROR_H_CODES.put("ERROR_INVALID_HANDLE_STATE", 1609);
        WINERROR_H_CODES.put("ERROR_BAD_CONFIGURATION", 1610);
        WINERROR_H_CODES.put("ERROR_DEVICE_IN_USE", 2404);
    }

    @AfterEach
    void resetLastError() {
        Win32.setLastError(0);
    }

    private static int constant(String name) {
        try {
            return Win32.class.getField(name).getInt(null);
        } catch (NoSuchFieldException | IllegalAccessException e) {
            throw new LinkageError("Win32." + name + " is missing", e);
        }
    }

    @Test
    void specErrorCodes_haveWinerrorValues() {
        SPEC_CODES.forEach((name, value) -> assertThat(constant(name)).as(name).isEqualTo(value));
    }

    @Test
    void otherErrorCodes_haveWinerrorValues() {
        WINERROR_H_CODES.forEach(
                (name, value) -> assertThat(constant(name)).as(name).isEqualTo(value));
    }

    @Test
    void errorConstants_areExactlyTheTestedOnes() {
        // a new ERROR_* constant must get its value checked here too
        Map<String, Integer> declared = new LinkedHashMap<>();
        for (Field f : Win32.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && f.getType() == int.class
                    && f.getName().startsWith("ERROR_")) {
                declared.put(f.getName(), constant(f.getName()));
            }
        }
        Map<String, Integer> expected = new LinkedHashMap<>(SPEC_CODES);
        expected.putAll(WINERROR_H_CODES);
        assertThat(declared).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void errorName_roundTripsEveryCode() {
        SPEC_CODES.forEach((name, value) -> assertThat(Win32.errorName(value)).isEqualTo(name));
        WINERROR_H_CODES.forEach(
                (name, value) -> assertThat(Win32.errorName(value)).isEqualTo(name));
    }

    @Test
    void errorName_unknownCodeAsHex() {
        assertThat(Win32.errorName(0x7FFF)).isEqualTo("0x7FFF");
        assertThat(Win32.errorName(-1)).isEqualTo("0xFFFFFFFF");
    }

    @Test
    void lastError_startsAsSuccessOnANewThread() throws Exception {
        AtomicInteger seen = new AtomicInteger(-1);
        Thread t = new Thread(() -> seen.set(Win32.getLastError()));
        t.start();
        t.join(10_000);
        assertThat(seen.get()).isEqualTo(0);
    }

    @Test
    void lastError_setAndGetOnOneThread() {
        Win32.setLastError(1003);
        assertThat(Win32.getLastError()).isEqualTo(1003);
        Win32.setLastError(87);
        assertThat(Win32.getLastError()).isEqualTo(87);
    }

    @Test
    void lastError_isPerThread() throws Exception {
        Win32.setLastError(6);
        CountDownLatch otherSet = new CountDownLatch(1);
        CountDownLatch mainChecked = new CountDownLatch(1);
        AtomicInteger otherSawBefore = new AtomicInteger(-1);
        AtomicInteger otherSawAfter = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                otherSawBefore.set(Win32.getLastError());
                Win32.setLastError(1784);
                otherSet.countDown();
                // main now overwrites its own value; ours must stay
                if (!mainChecked.await(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("main thread did not continue");
                }
                otherSawAfter.set(Win32.getLastError());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        other.start();
        assertThat(otherSet.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Win32.getLastError()).as("main after other set 1784").isEqualTo(6);
        Win32.setLastError(170);
        mainChecked.countDown();
        other.join(10_000);
        assertThat(failure.get()).isNull();
        assertThat(otherSawBefore.get()).as("other before setting").isEqualTo(0);
        assertThat(otherSawAfter.get()).as("other after main set 170").isEqualTo(1784);
        assertThat(Win32.getLastError()).isEqualTo(170);
    }
}
