package io.github.usbd4j.ce.devmgr;

import java.util.Objects;

/**
 * One value for the device's Active key: CE's {@code REGINI} ({@code devload.h}), the entries of
 * {@code ActivateDeviceEx}'s {@code lpRegEnts} (§D3). Only the two types usbd4j's registry holds exist:
 * build one with {@link #dword} or {@link #string}.
 *
 * @param valueName {@code lpszVal}
 * @param type {@code dwType}: {@link DevLoad#REG_DWORD} or {@link DevLoad#REG_SZ}
 * @param data the value: an {@link Integer} for {@code REG_DWORD}, a {@link String} for {@code REG_SZ}
 */
public record RegIni(String valueName, int type, Object data) {

    /** Checks that the type and the data agree. */
    public RegIni {
        Objects.requireNonNull(valueName, "valueName");
        Objects.requireNonNull(data, "data");
        boolean fits = (type == DevLoad.REG_DWORD && data instanceof Integer)
                || (type == DevLoad.REG_SZ && data instanceof String);
        if (!fits) {
            throw new IllegalArgumentException(
                    "a REGINI is REG_DWORD with an Integer or REG_SZ with a String, was type " + type + " with "
                            + data.getClass().getSimpleName());
        }
    }

    /**
     * A {@code REG_DWORD} entry.
     *
     * @param valueName the value's name
     * @param value the value
     * @return the entry
     */
    public static RegIni dword(String valueName, int value) {
        return new RegIni(valueName, DevLoad.REG_DWORD, value);
    }

    /**
     * A {@code REG_SZ} entry.
     *
     * @param valueName the value's name
     * @param value the value
     * @return the entry
     */
    public static RegIni string(String valueName, String value) {
        return new RegIni(valueName, DevLoad.REG_SZ, value);
    }
}
