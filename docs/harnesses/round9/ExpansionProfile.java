import io.picrypt.match.*;
import io.picrypt.ring.*;
import io.picrypt.ckks.*;
import java.lang.management.*;
/**
 * Issue 16 round 9: one probe expansion (GalleryEvaluator.expandProbe: 127 key switches and a rescale at the gallery
 * parameters), wall and process CPU per call, single-threaded ({@code seq}) or on all cores ({@code par}), after 30
 * warm-up calls; then one forward + inverse NTT at q0 in a loop for scale. Compile against the built classes:
 * {@code javac -cp target/classes -d /tmp/h9 ExpansionProfile.java} and run
 * {@code java -Xmx4g -XX:+UseTransparentHugePages -cp /tmp/h9:target/classes:$(cat cp.txt) ExpansionProfile par}
 * (cp.txt: {@code mvn -B -o -q dependency:build-classpath -Dmdep.outputFile=cp.txt}). Add
 * {@code -XX:StartFlightRecording=filename=ex.jfr,settings=profile} for the profile.
 */
public class ExpansionProfile {
  public static void main(String[] a) throws Exception {
    boolean par = a.length > 0 && a[0].equals("par");
    Parallel.setEnabled(par);
    GalleryKeyOwner ko = new GalleryKeyOwner(GalleryKeyOwner.generateSecretKey());
    GalleryEvaluator ev = new GalleryEvaluator(ko.evaluationKeys());
    float[] e = new float[512]; java.util.Random r = new java.util.Random(1);
    double n2=0; for (int i=0;i<512;i++){e[i]=(float)r.nextGaussian(); n2+=e[i]*e[i];}
    for (int i=0;i<512;i++) e[i]/=Math.sqrt(n2);
    byte[] probe = ko.encryptProbe(e);
    byte[] enr = ko.encryptEnrollment(e);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (int rep = 0; rep < 40; rep++) {
      long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
      ev.expandProbe(probe);
      long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
      if (rep >= 30) System.out.printf("expand wall %.1f ms cpu %.1f ms%n", (t1-t0)/1e6, (c1-c0)/1e6);
    }
    // NTT reference
    CkksParameters p = GalleryParameters.get();
    long[] x = new long[8192]; for (int i=0;i<8192;i++) x[i]=r.nextLong()>>>8;
    Ntt ntt = p.ring().ntt(0);
    for (int k=0;k<3;k++){ long t0=System.nanoTime(); for(int i=0;i<2000;i++){ntt.forward(x); ntt.inverse(x);} System.out.printf("ntt fwd+inv %.1f us%n",(System.nanoTime()-t0)/2000/1e3);}
  }
}
