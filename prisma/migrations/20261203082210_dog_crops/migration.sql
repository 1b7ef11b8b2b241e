-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sha256" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "firstSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "parentImageId" TEXT,
    "cropLeft" INTEGER,
    "cropTop" INTEGER,
    "cropWidth" INTEGER,
    "cropHeight" INTEGER,
    CONSTRAINT "Image_parentImageId_fkey" FOREIGN KEY ("parentImageId") REFERENCES "Image" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Image" ("byteSize", "firstSeenAt", "format", "height", "id", "sha256", "width") SELECT "byteSize", "firstSeenAt", "format", "height", "id", "sha256", "width" FROM "Image";
DROP TABLE "Image";
ALTER TABLE "new_Image" RENAME TO "Image";
CREATE UNIQUE INDEX "Image_sha256_key" ON "Image"("sha256");
CREATE INDEX "Image_parentImageId_idx" ON "Image"("parentImageId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
