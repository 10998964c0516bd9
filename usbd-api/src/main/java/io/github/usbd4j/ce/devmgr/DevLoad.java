package io.github.usbd4j.ce.devmgr;

/**
 * Constants of CE's {@code devload.h}, with CE's values: the registry keys and value names the device
 * manager reads and writes (§D2, §D3), the {@code Flags} bits ({@code DEVFLAGS_*}), and the two registry
 * value types usbd4j's registry stores.
 */
public final class DevLoad {
    private DevLoad() {}

    // ---- keys under HKEY_LOCAL_MACHINE ------------------------------------------------------------

    /** {@code DEVLOAD_ACTIVE_KEY}: one subkey per loaded device, {@code Drivers\Active\01}, ... */
    public static final String DEVLOAD_ACTIVE_KEY = "Drivers\\Active";
    /** {@code DEVLOAD_BUILT_IN_KEY}: where CE describes the drivers it loads at boot. */
    public static final String DEVLOAD_BUILT_IN_KEY = "Drivers\\BuiltIn";

    // ---- values of a device key ------------------------------------------------------------------

    /** {@code DEVLOAD_DLLNAME_VALNAME} ({@code REG_SZ}, required): the driver to load (§D2). */
    public static final String DEVLOAD_DLLNAME_VALNAME = "Dll";
    /** {@code DEVLOAD_PREFIX_VALNAME} ({@code REG_SZ}): three characters; the device's name prefix. */
    public static final String DEVLOAD_PREFIX_VALNAME = "Prefix";
    /** {@code DEVLOAD_INDEX_VALNAME} ({@code REG_DWORD}): the index in the name; absent means the lowest free. */
    public static final String DEVLOAD_INDEX_VALNAME = "Index";
    /** {@code DEVLOAD_FLAGS_VALNAME} ({@code REG_DWORD}): {@code DEVFLAGS_*} bits. */
    public static final String DEVLOAD_FLAGS_VALNAME = "Flags";
    /** {@code DEVLOAD_LOADORDER_VALNAME} ({@code REG_DWORD}): boot load order; not read by ActivateDeviceEx. */
    public static final String DEVLOAD_LOADORDER_VALNAME = "Order";
    /** {@code DEVLOAD_ICLASS_VALNAME} ({@code REG_MULTI_SZ}): interface classes CE advertises; not used here. */
    public static final String DEVLOAD_ICLASS_VALNAME = "IClass";
    /** {@code DEVLOAD_CONTEXT_VALNAME} ({@code REG_DWORD}): replaces XXX_Init's context in CE; not used here. */
    public static final String DEVLOAD_CONTEXT_VALNAME = "Context";

    // ---- values of an Active key -----------------------------------------------------------------

    /** {@code DEVLOAD_DEVKEY_VALNAME} ({@code REG_SZ}): the device key ActivateDeviceEx was given. */
    public static final String DEVLOAD_DEVKEY_VALNAME = "Key";
    /** {@code DEVLOAD_DEVNAME_VALNAME} ({@code REG_SZ}): the legacy name, e.g. {@code "LBK1:"}. */
    public static final String DEVLOAD_DEVNAME_VALNAME = "Name";
    /** {@code DEVLOAD_HANDLE_VALNAME} ({@code REG_DWORD}): the device's number (CE: its handle). */
    public static final String DEVLOAD_HANDLE_VALNAME = "Hnd";
    /** {@code DEVLOAD_CLIENTINFO_VALNAME} ({@code REG_DWORD}): ActivateDevice's {@code dwClientInfo}. */
    public static final String DEVLOAD_CLIENTINFO_VALNAME = "ClientInfo";

    // ---- Flags -----------------------------------------------------------------------------------

    /** No flags. */
    public static final int DEVFLAGS_NONE = 0x00000000;
    /** Unload the driver as soon as XXX_Init returns: ActivateDeviceEx returns {@code null}, last error 0. */
    public static final int DEVFLAGS_UNLOAD = 0x00000001;
    /** CE: LoadLibrary instead of LoadDriver. No difference in Java; accepted and ignored. */
    public static final int DEVFLAGS_LOADLIBRARY = 0x00000002;
    /** Do not load the driver: ActivateDeviceEx returns {@code null}, last error 0. */
    public static final int DEVFLAGS_NOLOAD = 0x00000004;
    /** CE: entry points without the prefix. Java entry points are methods; accepted and ignored. */
    public static final int DEVFLAGS_NAKEDENTRIES = 0x00000008;
    /** CE 6 and later: load in a user-mode driver host. Accepted and ignored. */
    public static final int DEVFLAGS_LOAD_AS_USERPROC = 0x00000010;
    /** DeactivateDevice refuses to unload the driver ({@code ERROR_ACCESS_DENIED}). */
    public static final int DEVFLAGS_NOUNLOAD = 0x00000020;
    /** CE: load only in boot phase 1. Accepted and ignored. */
    public static final int DEVFLAGS_BOOTPHASE_1 = 0x00001000;
    /** CE: only trusted callers may open the device. Accepted and ignored. */
    public static final int DEVFLAGS_TRUSTEDCALLERONLY = 0x00010000;

    // ---- registry value types (winnt.h) ----------------------------------------------------------

    /** {@code REG_SZ}: a string. */
    public static final int REG_SZ = 1;
    /** {@code REG_DWORD}: a 32-bit value. */
    public static final int REG_DWORD = 4;
}
