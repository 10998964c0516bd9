package io.github.usbd4j.internal.ce;

import io.github.usbd4j.ce.ClientRegistryKey;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One driver's registry key (CE's {@code HKEY} from {@code OpenClientRegistryKey}): DWORD and string values. */
final class RegistryKeyStore implements ClientRegistryKey {
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    @Override
    public int queryDword(String name, int defaultValue) {
        return values.get(name) instanceof Integer i ? i : defaultValue;
    }

    @Override
    public String queryString(String name) {
        return values.get(name) instanceof String s ? s : null;
    }

    @Override
    public void setDword(String name, int value) {
        values.put(name, value);
    }

    @Override
    public void setString(String name, String value) {
        values.put(name, value);
    }

    @Override
    public boolean deleteValue(String name) {
        return values.remove(name) != null;
    }

    @Override
    public Set<String> valueNames() {
        return Set.copyOf(values.keySet());
    }

    @Override
    public void close() {}
}
