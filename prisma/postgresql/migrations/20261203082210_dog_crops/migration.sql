-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "cropHeight" INTEGER,
ADD COLUMN     "cropLeft" INTEGER,
ADD COLUMN     "cropTop" INTEGER,
ADD COLUMN     "cropWidth" INTEGER,
ADD COLUMN     "parentImageId" TEXT;

-- CreateIndex
CREATE INDEX "Image_parentImageId_idx" ON "Image"("parentImageId");

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_parentImageId_fkey" FOREIGN KEY ("parentImageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;
