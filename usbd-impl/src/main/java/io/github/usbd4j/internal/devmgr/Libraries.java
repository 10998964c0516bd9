package io.github.usbd4j.internal.devmgr;

import static io.github.usbd4j.win32.Win32.ERROR_FILE_NOT_FOUND;

import io.github.usbd4j.ce.devmgr.DeviceManager;
import io.github.usbd4j.ce.devmgr.StreamInterfaceDriver;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loaded stream drivers: the class a {@code Dll} value names, instantiated once and shared by every
 * device that uses it, and let go with the last of them (CE's {@code LoadDriver} and {@code FreeLibrary}).
 */
final class Libraries {
    private static final Logger LOG = LoggerFactory.getLogger(Libraries.class);

    /** A loaded driver and the devices using it. */
    static final class Library {
        final String name;
        final StreamInterfaceDriver<Object, Object> driver;
        final EntryPoints entryPoints;
        private int users;

        Library(String name, StreamInterfaceDriver<Object, Object> driver) {
            this.name = name;
            this.driver = driver;
            this.entryPoints = EntryPoints.of(driver.getClass());
        }
    }

    /** What {@link #acquire} found: the library, or the Win32 error. */
    record Loaded(Library library, int error) {}

    private final DeviceManager manager;
    private final Map<String, Library> loaded = new HashMap<>();

    Libraries(DeviceManager manager) {
        this.manager = manager;
    }

    /** The library for a {@code Dll} value, loaded on first use. */
    synchronized Loaded acquire(String dll) {
        Library l = loaded.get(dll);
        if (l == null) {
            StreamInterfaceDriver<Object, Object> driver = instantiate(dll);
            if (driver == null) {
                return new Loaded(null, ERROR_FILE_NOT_FOUND);
            }
            l = new Library(dll, driver);
            loaded.put(dll, l);
        }
        l.users++;
        return new Loaded(l, 0);
    }

    /** A device stopped using the library; the last one unloads it. */
    synchronized void release(Library l) {
        if (--l.users == 0) {
            loaded.remove(l.name, l);
        }
    }

    /** Loads the class without initializing it, checks it is a stream driver, then constructs it. */
    @SuppressWarnings("unchecked")
    private StreamInterfaceDriver<Object, Object> instantiate(String dll) {
        try {
            Class<?> c = load(dll);
            if (!StreamInterfaceDriver.class.isAssignableFrom(c)
                    || c.isInterface()
                    || Modifier.isAbstract(c.getModifiers())) {
                LOG.warn("Dll \"{}\" is not a class implementing StreamInterfaceDriver", dll);
                return null;
            }
            Constructor<?> withManager = publicConstructor(c, DeviceManager.class);
            if (withManager != null) {
                return (StreamInterfaceDriver<Object, Object>) withManager.newInstance(manager);
            }
            Constructor<?> plain = publicConstructor(c);
            if (plain != null) {
                return (StreamInterfaceDriver<Object, Object>) plain.newInstance();
            }
            LOG.warn("Dll \"{}\" has no public constructor taking a DeviceManager or nothing", dll);
        } catch (ClassNotFoundException e) {
            LOG.warn("Dll \"{}\": no such class", dll);
        } catch (InvocationTargetException e) {
            LOG.warn("Dll \"{}\": its constructor threw", dll, e.getCause());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.warn("Dll \"{}\" cannot be loaded: {}", dll, e.toString());
        }
        return null;
    }

    private static Class<?> load(String name) throws ClassNotFoundException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            try {
                return Class.forName(name, false, context);
            } catch (ClassNotFoundException e) {
                // fall back to the loader of the runtime
            }
        }
        return Class.forName(name, false, Libraries.class.getClassLoader());
    }

    /** A public constructor; made accessible when its class is nested in a class that is not public. */
    private static Constructor<?> publicConstructor(Class<?> c, Class<?>... parameters) {
        try {
            Constructor<?> k = c.getConstructor(parameters);
            k.trySetAccessible();
            return k;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
