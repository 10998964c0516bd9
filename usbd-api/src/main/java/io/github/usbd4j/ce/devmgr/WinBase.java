package io.github.usbd4j.ce.devmgr;

/**
 * The {@code winbase.h} constants of the application side of the device manager, with CE's values:
 * {@code CreateFile}'s access, share and creation values, {@code SetFilePointer}'s move methods, and the
 * two failure values a CE program compares with (<a href="{@docRoot}/../reference/ce-devmgr.html#d5">§D5</a>).
 */
public final class WinBase {
    private WinBase() {}

    /** {@code GENERIC_READ}: the handle may {@code ReadFile}. */
    public static final int GENERIC_READ = 0x80000000;
    /** {@code GENERIC_WRITE}: the handle may {@code WriteFile}. */
    public static final int GENERIC_WRITE = 0x40000000;

    /** {@code FILE_SHARE_READ}: other handles may read. */
    public static final int FILE_SHARE_READ = 0x00000001;
    /** {@code FILE_SHARE_WRITE}: other handles may write. */
    public static final int FILE_SHARE_WRITE = 0x00000002;

    /** {@code CREATE_NEW}; refused for devices. */
    public static final int CREATE_NEW = 1;
    /** {@code CREATE_ALWAYS}; refused for devices. */
    public static final int CREATE_ALWAYS = 2;
    /** {@code OPEN_EXISTING}: what a program passes to open a device. */
    public static final int OPEN_EXISTING = 3;
    /** {@code OPEN_ALWAYS}: accepted for devices, as {@code OPEN_EXISTING}. */
    public static final int OPEN_ALWAYS = 4;
    /** {@code TRUNCATE_EXISTING}; refused for devices. */
    public static final int TRUNCATE_EXISTING = 5;

    /** {@code FILE_ATTRIBUTE_NORMAL}; the attributes are not used for devices. */
    public static final int FILE_ATTRIBUTE_NORMAL = 0x00000080;

    /** {@code FILE_BEGIN}: {@code SetFilePointer} from the start. */
    public static final int FILE_BEGIN = 0;
    /** {@code FILE_CURRENT}: from the current position. */
    public static final int FILE_CURRENT = 1;
    /** {@code FILE_END}: from the end. */
    public static final int FILE_END = 2;

    /** {@code INVALID_SET_FILE_POINTER}, {@code 0xFFFFFFFF}: what a failing {@code SetFilePointer} returns. */
    public static final int INVALID_SET_FILE_POINTER = -1;

    /** {@code WAIT_OBJECT_0}: {@code WaitForSingleObject} found the object signalled. */
    public static final int WAIT_OBJECT_0 = 0;

    /** {@code WAIT_TIMEOUT}, {@code 0x102}: {@code WaitForSingleObject}'s time ran out first. */
    public static final int WAIT_TIMEOUT = 0x102;

    /** {@code WAIT_FAILED}, {@code 0xFFFFFFFF}: {@code WaitForSingleObject} failed; see the last error. */
    public static final int WAIT_FAILED = -1;

    /** {@code INFINITE}, {@code 0xFFFFFFFF}: a wait without a time limit. */
    public static final int INFINITE = -1;

    /** {@code INVALID_HANDLE_VALUE}: what a failing {@code CreateFile} returns; never a valid handle. */
    public static final FileHandle INVALID_HANDLE_VALUE = new FileHandle() {
        @Override
        public String toString() {
            return "INVALID_HANDLE_VALUE";
        }
    };
}
