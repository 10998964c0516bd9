package io.github.usbd4j.usb.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Builds value-to-name tables from the {@code public static final int} constants of a class, so that each
 * constant is written once and its name comes from the same place. Not exported from the module.
 */
public final class ConstantNames {
    private ConstantNames() {}

    /**
     * The names of {@code type}'s {@code public static final int} constants that {@code include} accepts.
     *
     * @param type the class
     * @param include which field names to take
     * @return value to name; the first name wins for a value
     */
    public static Map<Integer, String> of(Class<?> type, Predicate<String> include) {
        Map<Integer, String> names = new LinkedHashMap<>();
        for (Field f : type.getFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class && include.test(f.getName())) {
                try {
                    names.putIfAbsent(f.getInt(null), f.getName());
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return Map.copyOf(names);
    }

    /**
     * A value's name, or the value in hex.
     *
     * @param names the table
     * @param value the value
     * @return the name
     */
    public static String name(Map<Integer, String> names, int value) {
        String n = names.get(value);
        return n != null ? n : "0x" + Integer.toHexString(value).toUpperCase(java.util.Locale.ROOT);
    }
}
