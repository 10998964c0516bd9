package io.github.usbd4j.samples.site;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles documentation examples with javac against the test class path and reports errors at the
 * example's own file and line ({@code README.md:57: error: ...}).
 */
final class ExampleCompiler {

    /** A top-level class with a {@code main} method: compiled as it is printed. */
    private static final Pattern TOP_CLASS = Pattern.compile("(?m)^(?:public\\s+)?(?:final\\s+)?class\\s+(\\w+)");

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");

    /** One example: where its first line is ({@code file}, {@code line}) and its code. */
    record Example(String file, int line, String code) {
        String where() {
            return file + ":" + line;
        }

        boolean isProgram() {
            return TOP_CLASS.matcher(code).find();
        }
    }

    /** A compiled example: the class to run and how. */
    record Compiled(Example example, String className, boolean hasMain) {}

    private final Path out;
    private final List<String> imports;
    private final List<Compiled> compiled = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    /**
     * @param out an empty directory for sources and classes
     * @param imports the imports a statement example gets (a page shows statements without them)
     */
    ExampleCompiler(Path out, List<String> imports) {
        this.out = out;
        this.imports = imports;
    }

    /** Compiles every example in one javac run; the errors are in {@link #errors()}. */
    List<Compiled> compile(List<Example> examples) {
        Path src = out.resolve("src");
        Path classes = out.resolve("classes");
        Map<String, Example> byFile = new HashMap<>();
        Map<String, Integer> headerLines = new HashMap<>();
        List<File> files = new ArrayList<>();
        int n = 0;
        try {
            Files.createDirectories(classes);
            for (Example e : examples) {
                n++;
                String pkg;
                String className;
                String text;
                int header;
                boolean hasMain;
                if (e.isProgram()) {
                    Matcher c = TOP_CLASS.matcher(e.code());
                    c.find();
                    Matcher p = PACKAGE.matcher(e.code());
                    pkg = p.find() ? p.group(1) : "";
                    className = c.group(1);
                    text = e.code();
                    header = 0;
                    hasMain = e.code().contains("static void main(String[] args)");
                } else {
                    pkg = "docexample" + n;
                    className = "Example";
                    StringBuilder b = new StringBuilder("package " + pkg + ";");
                    for (String i : imports) {
                        b.append(' ').append(i);
                    }
                    b.append(
                            "\npublic final class Example { public static void main(String[] args) throws Exception {\n");
                    header = 2;
                    text = b + e.code() + "\n}}\n";
                    hasMain = true;
                }
                Path dir = pkg.isEmpty() ? src.resolve("default" + n) : src.resolve(pkg.replace('.', '/'));
                Files.createDirectories(dir);
                Path file = dir.resolve(className + ".java");
                Files.writeString(file, text, StandardCharsets.UTF_8);
                files.add(file.toFile());
                byFile.put(file.toAbsolutePath().toString(), e);
                headerLines.put(file.toAbsolutePath().toString(), header);
                compiled.add(new Compiled(e, pkg.isEmpty() ? className : pkg + "." + className, hasMain));
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm =
                javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = List.of(
                    "-d", classes.toString(), "-classpath", classPath(), "--release", "17", "-proc:none", "-Xlint:all");
            javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromFiles(files))
                    .call();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR
                    && d.getKind() != Diagnostic.Kind.WARNING
                    && d.getKind() != Diagnostic.Kind.MANDATORY_WARNING) {
                continue;
            }
            String key = d.getSource() == null
                    ? ""
                    : Path.of(d.getSource().toUri()).toAbsolutePath().toString();
            Example e = byFile.get(key);
            String at = e == null
                    ? "(javac)"
                    : e.file() + ":" + (e.line() + (int) d.getLineNumber() - 1 - headerLines.get(key));
            errors.add(at + ": " + d.getKind().toString().toLowerCase(Locale.ROOT) + ": " + d.getMessage(Locale.ROOT));
        }
        return compiled;
    }

    /** Compiler errors and warnings, each at its example's file and line. */
    List<String> errors() {
        return errors;
    }

    /** A class loader over the compiled examples and the test class path. */
    ClassLoader loader() {
        try {
            return new URLClassLoader(
                    new URL[] {out.resolve("classes").toUri().toURL()}, ExampleCompiler.class.getClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    Path classes() {
        return out.resolve("classes");
    }

    /** The test class path (Surefire's, also when it starts the tests through a manifest-only jar). */
    static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
