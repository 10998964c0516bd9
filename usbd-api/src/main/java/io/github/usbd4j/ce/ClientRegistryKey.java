package io.github.usbd4j.ce;

import java.util.Set;

/**
 * A client driver's registry key, the {@code HKEY} that {@code OpenClientRegistryKey} returns
 * (<a href="{@docRoot}/../reference/ce-usbd.html#s1-6">§1.6</a> member 2): a small, thread-safe, per-driver store of
 * {@code REG_DWORD} and {@code REG_SZ} values. It is also the type of every other registry key the library opens, such
 * as the device keys and Active keys of the device manager ({@code io.github.usbd4j.ce.devmgr}).
 *
 * <p>Value names ignore case, as the registry's do: {@code "DLL"} reads the value written as {@code "Dll"}.
 * A {@code null} name reads as an absent value; writing with a {@code null} name or string throws
 * {@link NullPointerException}.
 */
public interface ClientRegistryKey extends AutoCloseable {

    /**
     * Reads a {@code REG_DWORD}.
     *
     * @param name value name
     * @param defaultValue returned when the value is absent or not a DWORD
     * @return the value
     */
    int queryDword(String name, int defaultValue);

    /**
     * Reads a {@code REG_SZ}.
     *
     * @param name value name
     * @return the value, or {@code null} when it is absent or not a string
     */
    String queryString(String name);

    /**
     * Writes a {@code REG_DWORD}.
     *
     * @param name value name
     * @param value the value
     */
    void setDword(String name, int value);

    /**
     * Writes a {@code REG_SZ}.
     *
     * @param name value name
     * @param value the value
     */
    void setString(String name, String value);

    /**
     * Deletes a value.
     *
     * @param name value name
     * @return {@code true} if it existed
     */
    boolean deleteValue(String name);

    /** The names of the values, a snapshot. */
    Set<String> valueNames();

    /** {@code RegCloseKey}: the values persist in the runtime. */
    @Override
    void close();
}
