package io.github.usbd4j.internal.devmgr;

import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import java.nio.ByteBuffer;

/**
 * Which optional entry points a stream driver class has: the methods it overrides, as CE's device manager
 * looks up the {@code XXX_} exports of a DLL.
 */
record EntryPoints(
        boolean preDeinit,
        boolean open,
        boolean preClose,
        boolean close,
        boolean read,
        boolean write,
        boolean seek,
        boolean ioControl) {

    static EntryPoints of(Class<?> driver) {
        return new EntryPoints(
                overrides(driver, "preDeinit", Object.class),
                overrides(driver, "open", Object.class, int.class, int.class),
                overrides(driver, "preClose", Object.class),
                overrides(driver, "close", Object.class),
                overrides(driver, "read", Object.class, ByteBuffer.class, int.class),
                overrides(driver, "write", Object.class, ByteBuffer.class, int.class),
                overrides(driver, "seek", Object.class, int.class, int.class),
                overrides(
                        driver,
                        "ioControl",
                        Object.class,
                        int.class,
                        ByteBuffer.class,
                        int.class,
                        ByteBuffer.class,
                        int.class,
                        int[].class));
    }

    /**
     * CE's rule for a loadable driver: a named device needs open, close and one I/O entry point, and a
     * driver with a pre-close needs a pre-deinit (init and deinit are abstract, so always present).
     */
    boolean loadable(boolean named) {
        if (preClose && !preDeinit) {
            return false;
        }
        return !named || (open && close && (read || write || seek || ioControl));
    }

    /** What is missing, for the log. */
    String missing() {
        if (preClose && !preDeinit) {
            return "preClose without preDeinit";
        }
        return "a named device needs open, close and one of read, write, seek, ioControl";
    }

    private static boolean overrides(Class<?> driver, String name, Class<?>... parameters) {
        try {
            return driver.getMethod(name, parameters).getDeclaringClass() != StreamInterfaceDriver.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("StreamInterfaceDriver." + name + " is missing", e);
        }
    }
}
