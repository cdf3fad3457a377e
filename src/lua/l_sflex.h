/* l_sflex.h - shared declarations of the Lua binding layer.
 *
 * One file per object type (l_array.c, l_atoms.c, ...), each with an opener
 * sfl_open_<thing>(L) that adds its functions to the module table on the top
 * of the stack.  luaopen_sflex_core (l_sflex.c) calls every opener. */
#ifndef L_SFLEX_H
#define L_SFLEX_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "sf_atoms.h"
#include "sf_error.h"

/* Raise the core's last error message as a Lua error (never returns). */
int sfl_core_error(lua_State *L);
/* Attach documentation to the value at stack index idx (function, table or
 * metatable name): help(value) prints it. */
void sfl_doc(lua_State *L, int idx, const char *text);
/* Register functions from l into the table at index -1, each with its doc:
 * docs[i] documents l[i] (same order, NULL-terminated like l). */
void sfl_register(lua_State *L, const luaL_Reg *l, const char *const *docs);
/* Create metatable tname with methods (and their docs) as __index, plus the
 * given metamethods.  Leaves the metatable on the stack. */
void sfl_new_class(lua_State *L, const char *tname, const luaL_Reg *methods,
                   const char *const *docs, const luaL_Reg *meta,
                   const char *classdoc);

/* ---- Vector / Matrix (l_array.c) ------------------------------------------ */
#define SFL_VECTOR "sflex.Vector"
#define SFL_MATRIX "sflex.Matrix"

/* Element type: double (data), or float32 (fdata, data == NULL) for big
 * descriptors.  The float32 arrays support indexing, #, get/set, row/col,
 * slicing, copies, reductions, x:double(); every other use needs doubles:
 * sfl_check_vector, sfl_check_matrix, sfl_test_array, sfl_opt_vector_arg
 * and sfl_test_double raise a clear error for a float32 array, so a
 * binding that reads ->data never sees one.  Bindings that accept both
 * use sfl_test_array_any and sfl_at. */
typedef struct sfl_array {
    size_t rows, cols; /* a Vector has cols == 1 */
    double *data;      /* row-major doubles; NULL for float32 storage */
    int owned;         /* 1: freed by __gc; 0: view kept alive by uservalue */
    char **colnames;   /* optional column names (Matrix), owned */
    float *fdata;      /* row-major float32 storage, or NULL */
} sfl_array;

/* Element k (row-major) as a double, whatever the storage. */
static inline double sfl_at(const sfl_array *a, size_t k)
{
    return a->fdata ? (double)a->fdata[k] : a->data[k];
}

sfl_array *sfl_vector_new(lua_State *L, size_t n);   /* pushes, zero-filled */
sfl_array *sfl_matrix_new(lua_State *L, size_t rows, size_t cols);
/* A zero-filled Matrix with float32 storage. */
sfl_array *sfl_matrix_new_f32(lua_State *L, size_t rows, size_t cols);
/* Push a view of data owned by the object at stack index parent. */
sfl_array *sfl_array_view(lua_State *L, const char *tname, size_t rows,
                          size_t cols, double *data, int parent);
sfl_array *sfl_check_vector(lua_State *L, int idx);
sfl_array *sfl_check_matrix(lua_State *L, int idx);
/* Vector or Matrix, or NULL if neither (error if float32). */
sfl_array *sfl_test_array(lua_State *L, int idx);
/* Vector or Matrix of either element type, or NULL. */
sfl_array *sfl_test_array_any(lua_State *L, int idx);
/* luaL_testudata(L, idx, tname) for SFL_VECTOR / SFL_MATRIX, with the
 * float32 error. */
sfl_array *sfl_test_double(lua_State *L, int idx, const char *tname);
/* A Vector, or a Lua table of numbers converted to a new Vector that is
 * pushed on the stack (caller pops).  *pushed tells which happened. */
sfl_array *sfl_opt_vector_arg(lua_State *L, int idx, int *pushed);
void sfl_open_array(lua_State *L);

/* ---- Atoms / Box (l_atoms.c) ---------------------------------------------- */
#define SFL_ATOMS "sflex.Atoms"
#define SFL_BOX "sflex.Box"

typedef struct sfl_atoms {
    sf_atoms *a;
} sfl_atoms;

sf_atoms *sfl_check_atoms(lua_State *L, int idx);
/* Push a new Atoms object that takes ownership of a (NULL -> core error). */
void sfl_push_atoms(lua_State *L, sf_atoms *a);
/* Push a Box (copy). */
void sfl_push_box(lua_State *L, const sf_box *box);
sf_box *sfl_check_box(lua_State *L, int idx);
void sfl_open_atoms(lua_State *L);

/* ---- Potential (l_eam.c) --------------------------------------------------- */
/* The EAM of the Potential at idx and its type -> element map for atoms a
 * (the map is a userdata pushed on the stack, which keeps it alive). */
struct sf_eam;
const struct sf_eam *sfl_potential_map(lua_State *L, int idx, const sf_atoms *a, int **map);

/* ---- other openers (one per binding file) --------------------------------- */
void sfl_open_io(lua_State *L);
void sfl_open_eam(lua_State *L);
void sfl_open_process(lua_State *L);
void sfl_open_voronoi(lua_State *L);
void sfl_open_learn(lua_State *L);
void sfl_open_mech(lua_State *L);
void sfl_open_neighbor(lua_State *L);
void sfl_open_vacf(lua_State *L);
void sfl_open_art(lua_State *L);

#endif
