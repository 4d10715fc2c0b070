# Environments and modules: the dynamic-binding names (*out* ...),
# make-env, dofile, module/find over module/paths, require (built-in
# modules such as std/sync from module/builtins; files cached in
# module/cache, cycles caught through module/loading), import/import*/use
# with :as, :prefix and :export, and doc.
#
# Invariant: a module runs once per resolved real path; its environment
# inherits from the root environment, never from its importer, and holds
# :current-file so relative imports inside it resolve from its directory.

(def root-env "The root environment, parent of every module environment." (curenv))
(def *out* "Dynamic binding key of the standard output target (a buffer or file)." :out)
(def *err* "Dynamic binding key of the standard error target." :err)
(def *args* "Dynamic binding key of the script's command-line arguments." :args)
(def *current-file* "Dynamic binding key of the file being loaded." :current-file)
(def *syspath* "Dynamic binding key of the system module directory." :syspath)
(def *exit* "Dynamic binding key: when set, the REPL or dofile stops." :exit)

(def module/cache "Table from resolved module path to its environment." @{})
(def module/loading "Table of module paths being loaded (to catch cycles)." @{})
(def module/builtins
  "Table from a built-in module's name (e.g. \"std/sync\") to its environment. require looks a name up here before searching module/paths."
  @{})
(def module/paths
  "Module search templates: :all: is the import path, :cur: the importing file's directory, :sys: (dyn :syspath)."
  @[[":cur:/:all:.janet" :source]
    [":cur:/:all:/init.janet" :source]
    [":all:.janet" :source]
    [":all:/init.janet" :source]
    [":sys:/:all:.janet" :source]
    [":sys:/:all:/init.janet" :source]])

(defn make-env
  "(make-env &opt parent)\n\nA new environment table inheriting the bindings of parent (default: the root environment)."
  [&opt parent]
  (table/setproto @{} (if parent parent root-env)))

(defn- dirname [path]
  (def parts (string/find-all "/" path))
  (if (empty? parts) "." (string/slice path 0 (last parts))))

(defn- relative? [path]
  (or (string/has-prefix? "./" path) (string/has-prefix? "../" path)))

(defn module/expand-path
  "(module/expand-path path template)\n\nFills a module/paths template with path."
  [path template]
  (def cur (let [f (dyn :current-file)] (if f (dirname f) ".")))
  (->> template
       (string/replace-all ":cur:" cur)
       (string/replace-all ":sys:" (dyn :syspath "."))
       (string/replace-all ":all:" path)))

(defn module/find
  "(module/find path)\n\n[resolved-path kind] for an import path, or [nil message] listing the places tried."
  [path]
  (def tried @[])
  (var found nil)
  (def direct (and (string/has-suffix? ".janet" path) (os/stat (module/expand-path path (if (relative? path) ":cur:/:all:" ":all:")))))
  (if direct
    (set found [(os/realpath (module/expand-path path (if (relative? path) ":cur:/:all:" ":all:"))) :source])
    (each [template kind] module/paths
      (def cur-template (string/has-prefix? ":cur:" template))
      (when (= cur-template (relative? path))
        (def p (module/expand-path path template))
        (array/push tried p)
        (when (= :file (os/stat p :mode))
          (set found [(os/realpath p) kind])
          (break)))))
  (if found found [nil (string "could not find module " path ":\n    " (string/join tried "\n    "))]))

(defn dofile
  "(dofile path &keys {:env env})\n\nEvaluates the file at path form by form in env (default: a new environment) and returns env."
  [path &keys {:env env}]
  (def env (if env env (make-env)))
  (def src (slurp path))
  (put env :current-file path)
  (def f (fiber/new
           (fn []
             (each form (parse-all src)
               (def thunk (compile form env path))
               (when (table? thunk)
                 (errorf "%s:%d:%d: compile error: %s" path (thunk :line) (thunk :column) (thunk :error)))
               (thunk)))))
  (fiber/setenv f env)
  (resume f)
  env)

(defn require
  "(require path & args)\n\nLoads the module at path once (later calls return the cached environment) and returns its environment."
  [path & args]
  (if-let [builtin (in module/builtins path)]
    builtin
    (do
      (def [full msg] (module/find path))
      (unless full (error msg))
      (if-let [cached (in module/cache full)]
        cached
        (do
          (when (in module/loading full) (errorf "circular dependency: %s" full))
          (put module/loading full true)
          (def env (defer (put module/loading full nil) (dofile full ;args)))
          (put module/cache full env)
          env)))))

(defn- basename-prefix [path]
  (def parts (string/find-all "/" path))
  (def base (if (empty? parts) path (string/slice path (+ 1 (last parts)))))
  (string (if (string/has-suffix? ".janet" base) (string/slice base 0 -7) base) "/"))

(defn import*
  "(import* path & args)\n\nRequires path and defines its public bindings in the current environment, named prefix/name. Options: :as name (prefix \"name/\"), :prefix str, :export true (re-export the bindings)."
  [path & args]
  (def opts (table ;args))
  (def env (require path))
  (def prefix
    (cond
      (not= nil (opts :prefix)) (string (opts :prefix))
      (opts :as) (string (opts :as) "/")
      (basename-prefix path)))
  (def target (curenv))
  (eachk k env
    (when (symbol? k)
      (def entry (table/rawget env k))
      (when (and (table? entry) (not (entry :private)))
        (def copy (table/clone entry))
        (unless (opts :export) (put copy :private true))
        (put target (symbol prefix k) copy))))
  env)

(defmacro import
  "(import path & args)\n\nImports a module (see import*): (import ./lib/x :as x), (import foo :prefix \"\"), (import foo :export true)."
  [path & args]
  (def argm (map (fn [x] (if (symbol? x) (string x) x)) args))
  ~(,import* ,(string path) ,;argm))

(defmacro use
  "(use path & args)\n\nImports a module with no prefix."
  [path & args]
  ~(,import* ,(string path) :prefix "" ,;args))

(defn doc*
  "(doc* sym)\n\nThe documentation text of a binding, or nil."
  [sym]
  (def entry (dyn sym))
  (when entry
    (def kind (cond (entry :macro) "macro"
                    (function? (entry :value)) "function"
                    (cfunction? (entry :value)) "cfunction"
                    (string (type (entry :value)))))
    (string "\n    " kind "\n    " (get entry :doc "no documentation") "\n")))

(defmacro doc
  "(doc sym)\n\nPrints the documentation of the binding sym."
  [sym]
  ~(print (or (,doc* ',sym) (string "no documentation found for " ',sym))))
