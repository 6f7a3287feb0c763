import io.picrypt.ckks.*;
import io.picrypt.match.*;
import java.util.*;
/** Product kernel: distinct blocks (DRAM-streamed) vs one block repeated (L3-resident), CPU ns per multiply-add. */
public class KE {
  public static void main(String[] a) throws Exception {
    int blocks = Integer.parseInt(a[0]), runs = Integer.parseInt(a[1]);
    GalleryKeyOwner owner = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey());
    GalleryEvaluator ev = new GalleryEvaluator(owner.evaluationKeys());
    var rnd = new SplittableRandom(3);
    int cap = GalleryParameters.BLOCK_CAPACITY;
    List<GalleryEvaluator.Block> distinct = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      List<float[]> g = new ArrayList<>(); for (int i = 0; i < cap; i++) g.add(SyntheticEmbeddings.unit(rnd, 512));
      distinct.add(ev.importBlock(owner.encryptBlock(g)));
    }
    List<GalleryEvaluator.Block> same = Collections.nCopies(blocks, distinct.get(0));
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    List<Ciphertext> x = ev.expandProbe(owner.encryptProbe(SyntheticEmbeddings.unit(rnd, 512)));
    Map<String, List<Double>> res = new TreeMap<>();
    for (int i = 0; i < runs * 2; i++) {
      boolean d = i % 2 == 0; var bl = d ? distinct : same;
      long c0 = os.getProcessCpuTime(), w0 = System.nanoTime();
      ev.productSums(bl, x);
      long c1 = os.getProcessCpuTime(), w1 = System.nanoTime();
      double macs = 3.0 * bl.size() * GalleryParameters.COLUMNS * 8192;
      if (i >= 4) { res.computeIfAbsent((d ? "distinct" : "one") + " cpu ns/mac", k -> new ArrayList<>()).add((c1 - c0) / macs);
                    res.computeIfAbsent((d ? "distinct" : "one") + " wall ns/mac", k -> new ArrayList<>()).add((w1 - w0) / macs); }
    }
    for (var e : res.entrySet()) { var l = e.getValue(); Collections.sort(l); System.out.printf("%s min %.3f p25 %.3f median %.3f%n", e.getKey(), l.get(0), l.get(l.size()/4), l.get(l.size()/2)); }
    System.out.println("load " + new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim());
  }
}
