/* bench_kernels.c - time the structure kernels of the sflex core directly
 * (no Lua), on a LAMMPS data file replicated nx x ny x nz times.
 *
 *   bench_kernels KERNEL DATAFILE NREP CUTOFF_OR_RMAX [THREADS]
 *
 * KERNEL: neighbor[-half][-novec][-update] (-update: rebuilds of one list,
 *         memory reused) | rdf | descriptor | descriptor-f32.
 * Prints one line "kernel=... n=... seconds=... cpu=..." per repetition
 * (3 repetitions).  Build after the library:
 *
 *   gcc -O3 -fopenmp -D_GNU_SOURCE -Isrc/core bench/bench_kernels.c \
 *       build/libsflexcore.a -lm -lz -o /tmp/bench_kernels
 *
 * The data reader here is deliberately minimal (atomic style, the sections
 * the corpus files have): the project's own reader is sf_read. */
#include "sf_atoms.h"
#include "sf_descriptor.h"
#include "sf_error.h"
#include "sf_neighbor.h"
#include "sf_rdf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* CPU seconds (user + system) of the whole process, all threads. */
static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + 1e-6 * u.ru_utime.tv_usec + u.ru_stime.tv_sec +
           1e-6 * u.ru_stime.tv_usec;
}

static sf_atoms *read_data(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char line[1024];
    size_t n = 0;
    int ntypes = 0;
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1}, xy = 0, xz = 0, yz = 0;
    sf_atoms *a = NULL;
    while (fgets(line, sizeof line, f)) {
        double p, q;
        if (strstr(line, " atoms") && !strstr(line, "Atoms"))
            n = strtoull(line, NULL, 10);
        else if (strstr(line, "atom types"))
            ntypes = atoi(line);
        else if (strstr(line, "xlo xhi") && sscanf(line, "%lf %lf", &p, &q) == 2)
            lo[0] = p, hi[0] = q;
        else if (strstr(line, "ylo yhi") && sscanf(line, "%lf %lf", &p, &q) == 2)
            lo[1] = p, hi[1] = q;
        else if (strstr(line, "zlo zhi") && sscanf(line, "%lf %lf", &p, &q) == 2)
            lo[2] = p, hi[2] = q;
        else if (strstr(line, "xy xz yz"))
            sscanf(line, "%lf %lf %lf", &xy, &xz, &yz);
        else if (strncmp(line, "Atoms", 5) == 0) {
            a = sf_atoms_new(n, ntypes);
            sf_box_init(&a->box, lo, hi, xy, xz, yz);
            size_t k = 0;
            while (k < n && fgets(line, sizeof line, f)) {
                long long id;
                int t;
                double x, y, z;
                if (sscanf(line, "%lld %d %lf %lf %lf", &id, &t, &x, &y, &z) == 5) {
                    a->id[k] = id;
                    a->type[k] = t;
                    a->x[3 * k] = x;
                    a->x[3 * k + 1] = y;
                    a->x[3 * k + 2] = z;
                    k++;
                }
            }
            break;
        }
    }
    fclose(f);
    if (!a) {
        fprintf(stderr, "%s: no Atoms section\n", path);
        exit(1);
    }
    sf_atoms_set_species(a, 1, "Cu");
    if (a->ntypes > 1)
        sf_atoms_set_species(a, 2, "Zr");
    return a;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s KERNEL DATAFILE NREP CUTOFF [THREADS]\n",
                argv[0]);
        return 2;
    }
    const char *kernel = argv[1];
    int rep = atoi(argv[3]);
    double rc = atof(argv[4]);
#ifdef _OPENMP
    if (argc > 5)
        omp_set_num_threads(atoi(argv[5]));
    int threads = omp_get_max_threads();
#else
    int threads = 1;
#endif
    sf_atoms *a0 = read_data(argv[2]);
    sf_atoms *a = sf_atoms_replicate(a0, rep, rep, rep);
    sf_atoms_free(a0);
    sf_neighbor_list *keep = NULL;
    if (strncmp(kernel, "neighbor", 8) == 0 && strstr(kernel, "update"))
        keep = sf_neighbor_build(a, rc,
                                 (strstr(kernel, "half") ? SF_NEIGHBOR_HALF : 0) |
                                     (strstr(kernel, "novec") ? SF_NEIGHBOR_NOVEC : 0));
    for (int it = 0; it < 3; it++) {
        double t0 = now(), c0 = cpu(), extra = 0;
        if (keep) {
            if (sf_neighbor_update(keep, &a->box, a->n, a->x)) {
                fprintf(stderr, "%s\n", sf_error_message());
                return 1;
            }
            extra = (double)keep->npairs;
        } else if (strncmp(kernel, "neighbor", 8) == 0) {
            int fl = 0;
            if (strstr(kernel, "half"))
                fl |= SF_NEIGHBOR_HALF;
            if (strstr(kernel, "novec"))
                fl |= SF_NEIGHBOR_NOVEC;
            sf_neighbor_list *nl = sf_neighbor_build(a, rc, fl);
            if (!nl) {
                fprintf(stderr, "%s\n", sf_error_message());
                return 1;
            }
            extra = (double)nl->npairs;
            sf_neighbor_free(nl);
        } else if (strcmp(kernel, "rdf") == 0) {
            sf_rdf *r = sf_rdf_compute(a, rc, 0.02, NULL);
            if (!r) {
                fprintf(stderr, "%s\n", sf_error_message());
                return 1;
            }
            extra = r->g[r->nbins / 2];
            sf_rdf_free(r);
        } else if (strncmp(kernel, "descriptor", 10) == 0) {
            sf_descriptor_params p;
            sf_descriptor_params_init(&p);
            double rp[4] = {2.5, 2.7, 2.7, 3.1};
            p.rp = rp;
            if (rc > 0)
                p.cutoff = rc;
            size_t nc = sf_descriptor_ncols(&p, a->ntypes);
            int f32 = strstr(kernel, "f32") != NULL;
            void *out = malloc(a->n * nc * (f32 ? sizeof(float) : sizeof(double)));
            if (sf_descriptor_compute(a, &p, f32 ? NULL : out, f32 ? out : NULL)) {
                fprintf(stderr, "%s\n", sf_error_message());
                return 1;
            }
            extra = f32 ? ((float *)out)[nc / 3] : ((double *)out)[nc / 3];
            free(out);
        } else {
            fprintf(stderr, "unknown kernel %s\n", kernel);
            return 2;
        }
        double wall = now() - t0;
        printf("kernel=%s n=%zu threads=%d cutoff=%g seconds=%.4f cpu=%.4f "
               "check=%.6g\n",
               kernel, a->n, threads, rc, wall, cpu() - c0, extra);
        fflush(stdout);
    }
    sf_atoms_free(a);
    return 0;
}
