import io.picrypt.face.FacePipeline;
import io.picrypt.face.FaceEmbedding;
import java.nio.file.*;
import java.util.*;
import java.util.stream.*;
public class EmbedAll {
    public static void main(String[] a) throws Exception {
        try (FacePipeline p = FacePipeline.open(Path.of(a[0])); var out = Files.newBufferedWriter(Path.of(a[1]))) {
            for (int k = 2; k < a.length; k++) {
                Path root = Path.of(a[k]);
                List<Path> files;
                try (Stream<Path> s = Files.walk(root)) { files = s.filter(f -> f.toString().matches(".*\\.(png|jpg)$")).sorted().toList(); }
                for (Path f : files) {
                    String rel = root.relativize(f).toString();
                    String id = rel.contains("/") ? rel.substring(0, rel.indexOf('/')) : rel.replaceAll("[0-9]*\\.(png|jpg)$", "");
                    if (root.getFileName().toString().equals("bbt") && rel.matches("bbt[0-9]\\.jpg")) continue; // group photos, no label
                    try {
                        FaceEmbedding e = p.embedLargest(f);
                        float[] v = e.vector();
                        StringBuilder sb = new StringBuilder(root.getFileName() + "," + root.getFileName() + "/" + id + "," + rel);
                        for (float x : v) sb.append(',').append(x);
                        out.write(sb.append('\n').toString());
                    } catch (Exception ex) { System.err.println(rel + ": " + ex.getMessage()); }
                }
            }
        }
    }
}
