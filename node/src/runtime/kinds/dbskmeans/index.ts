import { dbskmeansParams } from "../../../../../protocol/src/tasks/dbskmeans/index.js";
import { outsourcedHandler } from "../shared/outsourced.js";
import { prepareSkmeans, skmeansVariants } from "../skmeans/index.js";

/** dbskmeans runs skmeans's engines; only its legacy owner encrypts the distance matrix with FDH-OPE. */
export const dbskmeansHandler = outsourcedHandler("dbskmeans", dbskmeansParams, skmeansVariants, (req, X) => prepareSkmeans(req as never, X, true));
