package io.github.usbd4j.devmgr;

import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_NOUNLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVFLAGS_UNLOAD;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_DLLNAME_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_FLAGS_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_INDEX_VALNAME;
import static io.github.usbd4j.ce.devmgr.DevLoad.DEVLOAD_PREFIX_VALNAME;
import static io.github.usbd4j.ce.devmgr.WinBase.GENERIC_READ;
import static io.github.usbd4j.ce.devmgr.WinBase.INVALID_HANDLE_VALUE;
import static io.github.usbd4j.ce.devmgr.WinBase.OPEN_EXISTING;
import static io.github.usbd4j.devmgr.DeviceManagerFixture.MARK;
import static io.github.usbd4j.win32.Win32.ERROR_ACCESS_DENIED;
import static io.github.usbd4j.win32.Win32.ERROR_BAD_CONFIGURATION;
import static io.github.usbd4j.win32.Win32.ERROR_DEVICE_IN_USE;
import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_INVALID_FUNCTION;
import static io.github.usbd4j.win32.Win32.ERROR_NOT_FOUND;
import static io.github.usbd4j.win32.Win32.ERROR_SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.ClientRegistryKey;
import io.github.usbd4j.ce.devmgr.ActivationHandle;
import io.github.usbd4j.ce.devmgr.DeviceInformation;
import io.github.usbd4j.ce.devmgr.FileHandle;
import io.github.usbd4j.win32.Win32;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzz of the device key (reference page of the device manager, [§D2](reference/ce-devmgr.html#d2)
 * and [§D3](reference/ce-devmgr.html#d3)): random {@code Dll}, {@code Prefix}, {@code Index} and
 * {@code Flags} values, of the right type or not, activated and deactivated in random order. A model of
 * the names predicts each activation: its error, or the device's legacy and {@code $device} names, which
 * {@code CreateFile} must then open; nothing throws. {@code -Dusbd4j.devmgr.fuzz.seed=S} runs another seed.
 */
class ActivationFuzzTest {
    private final DeviceManagerFixture f = new DeviceManagerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    /** A loaded device as the model knows it. */
    private record Loaded(ActivationHandle handle, String deviceName, String legacyName, boolean noUnload) {}

    /** The model's answer for an activation that succeeds (ERROR_SUCCESS is a failure's error here). */
    private static final int LOADS = -1;

    private final List<Loaded> loaded = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    @Test
    void randomDeviceKeys_loadWithCeNames_orFailWithTheirErrors() {
        long seed = Long.getLong("usbd4j.devmgr.fuzz.seed", 0x5EEDL);
        Random random = new Random(seed);
        for (int step = 0; step < 1500 && problems.size() < 20; step++) {
            String where = "seed " + seed + " step " + step + ": ";
            try {
                if (!loaded.isEmpty() && random.nextInt(3) == 0) {
                    deactivate(random, where);
                } else {
                    activate(random, where, step);
                }
            } catch (RuntimeException | Error e) {
                problems.add(where + e + " escaped");
            }
        }
        assertThat(problems).as("seed %d", seed).isEmpty();
    }

    private void deactivate(Random random, String where) {
        Loaded d = loaded.get(random.nextInt(loaded.size()));
        Win32.setLastError(MARK);
        boolean ok = f.dm.deactivateDevice(d.handle);
        if (d.noUnload) {
            if (ok || Win32.getLastError() != ERROR_ACCESS_DENIED) {
                problems.add(where + "DeactivateDevice of a NOUNLOAD device: " + ok + " "
                        + Win32.errorName(Win32.getLastError()));
            }
            return;
        }
        if (!ok || Win32.getLastError() != MARK) {
            problems.add(where + "DeactivateDevice: " + ok + " " + Win32.errorName(Win32.getLastError()));
        }
        loaded.remove(d);
        if (f.dm.deactivateDevice(d.handle) || Win32.getLastError() != ERROR_NOT_FOUND) {
            problems.add(where + "a second DeactivateDevice did not fail with ERROR_NOT_FOUND");
        }
    }

    private void activate(Random random, String where, int step) {
        String path = "Drivers\\Fuzz\\K" + step;
        ClientRegistryKey key = f.dm.regCreateKeyEx(path);
        String[] prefixes = {"ABC", "abc", "AbC", "XY1", "AB", "ABCD", "", null};
        String prefix = prefixes[random.nextInt(prefixes.length)];
        if (prefix != null) {
            if (random.nextInt(15) == 0) {
                key.setDword(DEVLOAD_PREFIX_VALNAME, 7); // the wrong type: no prefix
                prefix = null;
            } else {
                key.setString(DEVLOAD_PREFIX_VALNAME, prefix);
            }
        }
        boolean named = prefix != null && prefix.length() == 3;
        int index = -1;
        int k = random.nextInt(10);
        if (k < 3) {
            index = random.nextInt(13);
        } else if (k == 3) {
            int[] odd = {255, 256, 1000, Integer.MAX_VALUE, -2, -1};
            index = odd[random.nextInt(odd.length)];
        } else if (k == 4) {
            key.setString(DEVLOAD_INDEX_VALNAME, "1"); // the wrong type: absent
        }
        if (index != -1 || (k < 4 && random.nextBoolean())) {
            key.setDword(DEVLOAD_INDEX_VALNAME, index);
        }
        int flags = 0;
        int fk = random.nextInt(10);
        if (fk == 0) {
            flags = DEVFLAGS_NOLOAD;
        } else if (fk == 1) {
            flags = DEVFLAGS_UNLOAD;
        } else if (fk == 2) {
            flags = DEVFLAGS_NOUNLOAD;
        } else if (fk == 3) {
            flags = random.nextInt() & ~(DEVFLAGS_NOLOAD | DEVFLAGS_UNLOAD | DEVFLAGS_NOUNLOAD);
        }
        if (flags != 0 || random.nextBoolean()) {
            key.setDword(DEVLOAD_FLAGS_VALNAME, flags);
        }
        int dk = random.nextInt(12);
        int expected = LOADS;
        if (dk == 0) {
            expected = ERROR_BAD_CONFIGURATION; // no Dll
        } else if (dk == 1) {
            key.setString(DEVLOAD_DLLNAME_VALNAME, "");
            expected = ERROR_BAD_CONFIGURATION;
        } else if (dk == 2) {
            key.setDword(DEVLOAD_DLLNAME_VALNAME, 1);
            expected = ERROR_BAD_CONFIGURATION;
        } else if (dk == 3) {
            key.setString(DEVLOAD_DLLNAME_VALNAME, random.nextBoolean() ? "no.such.Driver" : "[I");
            expected = ERROR_FILE_NOT_FOUND;
        } else if (dk == 4) {
            key.setString(DEVLOAD_DLLNAME_VALNAME, Probe.NotADriver.class.getName());
            expected = ERROR_FILE_NOT_FOUND;
        } else if (dk == 5) {
            key.setString(DEVLOAD_DLLNAME_VALNAME, Probe.InitOnlyDriver.class.getName());
            expected = named ? ERROR_INVALID_FUNCTION : LOADS;
        } else {
            key.setString(DEVLOAD_DLLNAME_VALNAME, Probe.PreDriver.class.getName());
        }
        if (expected != ERROR_BAD_CONFIGURATION && (flags & DEVFLAGS_NOLOAD) != 0) {
            expected = ERROR_SUCCESS;
        }

        String deviceName = null;
        String legacyName = null;
        if (expected == LOADS && named) {
            String upper = prefix.toUpperCase(Locale.ROOT);
            Map<String, Loaded> names = new HashMap<>();
            for (Loaded l : loaded) {
                if (l.deviceName != null) {
                    names.put(l.deviceName.toUpperCase(Locale.ROOT), l);
                }
            }
            int n = index;
            if (index == -1) {
                n = 1;
                while (names.containsKey(upper + n)) {
                    n++;
                }
            }
            deviceName = prefix + Integer.toUnsignedString(n);
            if (names.containsKey(deviceName.toUpperCase(Locale.ROOT))) {
                expected = ERROR_DEVICE_IN_USE;
            } else if (n >= 0 && n <= 9) {
                legacyName = prefix + n + ":";
            } else if (n == 10 && index == -1) {
                legacyName = prefix + "0:";
            }
        }
        if (expected == LOADS && (flags & DEVFLAGS_UNLOAD) != 0) {
            expected = ERROR_SUCCESS;
        }

        Probe p = new Probe();
        Win32.setLastError(MARK);
        ActivationHandle h = f.dm.activateDeviceEx(path, null, 0, p);
        int error = Win32.getLastError();
        String call = "ActivateDeviceEx(prefix " + prefix + ", index " + index + ", flags 0x"
                + Integer.toHexString(flags) + ", dll case " + dk + ")";
        if (expected != LOADS) {
            if (h != null || error != expected) {
                problems.add(where + call + " = " + h + ", " + Win32.errorName(error) + "; expected "
                        + Win32.errorName(expected));
            }
            return;
        }
        if (h == null || error != MARK) {
            problems.add(where + call + " = " + h + ", " + Win32.errorName(error));
            return;
        }
        // an Index of 0 and an index of 10 the loader chose share the legacy name; as in CE's list, the older
        // device answers to it
        String sharedLegacy = legacyName;
        boolean legacyTaken =
                loaded.stream().anyMatch(l -> sharedLegacy != null && sharedLegacy.equalsIgnoreCase(l.legacyName));
        loaded.add(new Loaded(h, deviceName, legacyName, (flags & DEVFLAGS_NOUNLOAD) != 0));
        DeviceInformation info = f.dm.activeDevices().stream()
                .filter(d -> d.device() == h)
                .findFirst()
                .orElse(null);
        if (info == null) {
            problems.add(where + call + ": not in the active devices");
            return;
        }
        String expectedLegacy = legacyName == null ? "" : legacyName;
        String expectedDevice = deviceName == null ? "" : "$device\\" + deviceName;
        if (!info.legacyName().equals(expectedLegacy) || !info.deviceName().equals(expectedDevice)) {
            problems.add(where + call + " named " + info.legacyName() + " " + info.deviceName() + "; expected "
                    + expectedLegacy + " " + expectedDevice);
        }
        for (String name :
                new String[] {legacyTaken ? null : legacyName, deviceName == null ? null : "\\$device\\" + deviceName
                }) {
            if (name == null || !Probe.PreDriver.class.getName().equals(key.queryString(DEVLOAD_DLLNAME_VALNAME))) {
                continue;
            }
            FileHandle file = f.dm.createFile(name, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
            if (file == INVALID_HANDLE_VALUE) {
                problems.add(where + "CreateFile(" + name + ") failed: " + Win32.errorName(Win32.getLastError()));
            } else if (!p.events().contains("Open 80000000 0")) {
                problems.add(where + "CreateFile(" + name + ") opened another device");
            } else {
                f.dm.closeHandle(file);
            }
        }
    }
}
